"""App Home: the Home tab and its buttons."""
