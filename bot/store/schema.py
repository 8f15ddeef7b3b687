"""Imports every model module so Base.metadata knows all tables (Alembic, tests)."""

from __future__ import annotations

from bot.store import models  # noqa: F401  (guidelines, sections, search words)
from bot.store.models import Base

# Feature model modules register here, one import each.

metadata = Base.metadata
