"""A published two-version guideline, project 'reviews' with annotations, flag inputs, a config."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from reports.flags.input import FlagInput
from tests.digest_e2e.values_support import ok, write_csv
from tests.support.guidelines import mini

# 1.1.0 renames the sarcasm section and drops the emoji one.
RULES_1_1 = """# Overview

Label the overall sentiment of the review.

## Sarcasm and irony {#sarcasm}

Sarcastic praise is **Negative**.
"""
# flag_reasons replace the default taxonomy: span_boundary is left out (it weighs 1, shown by its id).
CONFIG = """[[projects]]
name = "reviews"
guideline = "mini"
flag_reasons = [
  { id = "guideline_unclear", label = "Unclear rules", weight = 5 },
  { id = "label_confusion", label = "Mixed up labels", weight = 2 },
  { id = "data_quality", label = "Broken item", weight = 0 },
  { id = "other", label = "Other", weight = 1 },
]
"""
BASE = FlagInput(
    project="reviews",
    item_id="item-1",
    filed_by="U100",
    my_label="Positive",
    reason="guideline_unclear",
    guideline="mini",
    version="1.0.0",
    anchor="sarcasm",
)


def flag(**changes: Any) -> FlagInput:
    """BASE with some fields changed."""
    return replace(BASE, **changes)


def setup_project(db_url: str, tmp: Path, *, annotated_at: datetime) -> None:
    """Publish mini 1.0.0 and 1.1.0, add project 'reviews', import 20 items labelled by two annotators."""
    ok(db_url, "guidelines", "publish", str(mini(tmp)))
    ok(db_url, "guidelines", "publish", str(mini(tmp, "1.1.0", RULES_1_1)))
    ok(db_url, "projects", "add", "reviews", "--guideline", "mini")
    labels = ["Positive", "Negative", "Neutral"]
    rows = []
    for i in range(20):
        ts = (annotated_at + timedelta(minutes=i)).isoformat()
        rows += [[f"it{i:02d}", "ann-1", labels[i % 3], ts], [f"it{i:02d}", "ann-2", labels[i % 2], ts]]
    path = write_csv(tmp / "a.csv", ["item_id", "annotator", "label", "created_at"], rows)
    ok(db_url, "import", "annotations", str(path), "--project", "reviews")
