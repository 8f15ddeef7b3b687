"""guidelines package."""
