"""Imports every model module so Base.metadata knows all tables (Alembic, tests)."""

from __future__ import annotations

from bot.store import (
    models,  # noqa: F401  (guidelines, sections, search words)
    models_annotations,  # noqa: F401  (projects, annotators, annotations, gold)
    models_slack,  # noqa: F401  (slack_events, lookups)
)
from bot.store.models import Base

# Feature model modules register here, one import each.

metadata = Base.metadata
