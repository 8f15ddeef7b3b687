"""Imports every model module so Base.metadata knows all tables (Alembic, tests)."""

from __future__ import annotations

from bot.store.models import (
    aggregates,  # noqa: F401  (annotation_hours, label_pair_hours)
    annotations,  # noqa: F401  (projects, annotators, annotations, gold)
    audit,  # noqa: F401  (audit_events)
    digest_schedules,  # noqa: F401  (digest_schedules: added from Slack)
    feedback,  # noqa: F401  (unanswered_questions, precedents)
    flags,  # noqa: F401  (flag_cases, flags, flag_events, flag_decisions)
    guidelines,  # noqa: F401  (guidelines, versions, files, sections, search words)
    items,  # noqa: F401  (items: display data)
    lead_zones,  # noqa: F401  (lead_zones: the leads' Slack time zones)
    schedules,  # noqa: F401  (digest_runs, digest_shares)
    slack,  # noqa: F401  (slack_events, slack_requests, lookups)
    tree_walks,  # noqa: F401  (tree_steps, tree_shares)
    trees,  # noqa: F401  (decision_trees, decision_tree_anchors)
    vectors,  # noqa: F401  (section_chunks: sentence embeddings)
)
from bot.store.models.base import Base

# Feature model modules register here, one import each.

metadata = Base.metadata
