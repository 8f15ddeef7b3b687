"""Exporting adjudicated labels (issue 12) as CSV or JSONL in the columns `annobot import` reads back.

As annotations (default): `task, item_id, annotator, label, created_at`, the annotator being a chosen
id such as "adjudicated" and created_at the time of the decision, so a later decision replaces the
earlier one on re-import. As gold (`gold=True`): `task, item_id, label`, for `annobot import gold`.
CSV cells get export's formula guard, which the CSV import removes.
"""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine

from bot.errors import InputError
from bot.imports.cells import MAX_LENGTH, control_reason
from bot.imports.export import csv_cell
from bot.store.db import session_scope
from bot.store.flags import AdjudicatedLabel, adjudicated_labels
from bot.store.projects import get_project

FORMATS = ("csv", "jsonl")
ANNOTATION_COLUMNS = ("task", "item_id", "annotator", "label", "created_at")
GOLD_COLUMNS = ("task", "item_id", "label")
DEFAULT_ANNOTATOR = "adjudicated"


def _check_annotator(annotator: str) -> None:
    if not annotator.strip():
        raise InputError("--annotator must not be empty")
    if len(annotator) > MAX_LENGTH["annotator"]:
        raise InputError(f"--annotator is longer than {MAX_LENGTH['annotator']} characters")
    if (why := control_reason(annotator)) is not None:
        raise InputError(f"--annotator {why}")


def read_adjudicated(engine: Engine, project: str | None) -> list[AdjudicatedLabel]:
    """The adjudicated labels to export: one project's, or all of them when they are of one project.

    A file holds one project because `annobot import` loads a file into one project.
    """
    with session_scope(engine) as session:
        labels = adjudicated_labels(session, project)
        if project is not None and not labels:
            get_project(session, project)  # a mistyped name is an error, not an empty file
    projects = sorted({a.project for a in labels})
    if project is None and len(projects) > 1:
        raise InputError(
            f"adjudicated labels of {len(projects)} projects ({', '.join(projects)}): "
            "choose one with --project (an import loads one project)"
        )
    return labels


def export_rows(labels: list[AdjudicatedLabel], annotator: str, gold: bool) -> list[dict[str, Any]]:
    """The exported records in column order."""
    if gold:
        return [{"task": a.task, "item_id": a.item_id, "label": a.label} for a in labels]
    return [
        {
            "task": a.task,
            "item_id": a.item_id,
            "annotator": annotator,
            "label": a.label,
            "created_at": a.decided_at.astimezone(UTC).isoformat(),
        }
        for a in labels
    ]


def _write(rows: list[dict[str, Any]], columns: tuple[str, ...], fmt: str, out: TextIO) -> None:
    if fmt == "csv":
        out.write(",".join(columns) + "\n")
        for row in rows:
            out.write(",".join(csv_cell(row[c]) for c in columns) + "\n")
    else:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def export_adjudicated(
    engine: Engine,
    fmt: str,
    out: Path | TextIO,
    *,
    project: str | None = None,
    annotator: str = DEFAULT_ANNOTATOR,
    gold: bool = False,
) -> int:
    """Write the adjudicated labels as `fmt` (csv, jsonl) to a path or stream; the number of rows."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format '{fmt}' (one of {', '.join(FORMATS)})")
    if not gold:
        _check_annotator(annotator)
    rows = export_rows(read_adjudicated(engine, project), annotator, gold)
    columns = GOLD_COLUMNS if gold else ANNOTATION_COLUMNS
    if isinstance(out, Path):
        with out.open("w", encoding="utf-8", newline="") as fh:
            _write(rows, columns, fmt, fh)
    else:
        _write(rows, columns, fmt, out)
    return len(rows)
