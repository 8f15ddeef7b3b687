"""Exporting a project's annotations as CSV, JSONL or Parquet, in the columns import reads back.

Each item's display data (`text`, `url`, and in JSONL its `data`) rides on the first row of each
(task, item) and is empty on the others, which import reads as "leave the item as it is", so a file
carries an item's text once per task rather than once per annotator.

CSV cells are written with the formula guard of `cells.guard_cell` (a leading `'` before a cell a
spreadsheet would run), which CSV import removes, and every field holding a comma, quote, CR or LF
is quoted; JSONL and Parquet carry the values as they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine

from bot.imports.cells import guard_cell
from bot.store.annotations import iter_annotations
from bot.store.db import session_scope
from bot.store.items import display_data
from bot.store.projects import get_project

EXPORT_FORMATS = ("csv", "jsonl", "parquet")
ANNOTATION_COLUMNS = (
    "task",
    "item_id",
    "annotator",
    "label",
    "span_start",
    "span_end",
    "created_at",
    "duration_s",
    "cohort",
    "guideline_version",
    "source",
    "external_id",
)
# CSV and Parquet carry text and url; JSONL also the task data (CSV import ignores a `data` column).
COLUMNS = (*ANNOTATION_COLUMNS, "text", "url")
JSONL_COLUMNS = (*COLUMNS, "data")
_CHUNK = 50_000


def iter_export(engine: Engine, project: str) -> Iterator[dict[str, Any]]:
    """The project's annotations as dicts of JSONL_COLUMNS, streamed in key order, display data on the
    first row of each (task, item)."""
    with session_scope(engine) as session:
        get_project(session, project)
        rows = iter_annotations(session, project, _CHUNK)
        previous: tuple[str, str] | None = None
        while chunk := list(islice(rows, _CHUNK)):
            shown = display_data(session, project, [row[1] for row in chunk])
            for row in chunk:
                d = dict(zip(ANNOTATION_COLUMNS, row, strict=True))
                d["created_at"] = d["created_at"].astimezone(UTC).isoformat()
                first = (row[0], row[1]) != previous
                previous = (row[0], row[1])
                text, url, data = shown.get(row[1], (None, None, None)) if first else (None, None, None)
                d.update(text=text, url=url, data=data)
                yield d


def csv_cell(value: Any) -> str:
    """One exported CSV field: guarded against formulas, quoted when it holds , " CR or LF."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    text = guard_cell(value)
    # csv.writer with lineterminator "\n" would leave a lone CR unquoted, which no reader reads back.
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _write_text(rows: Iterator[dict[str, Any]], fmt: str, out: TextIO) -> int:
    n = 0
    if fmt == "csv":
        out.write(",".join(COLUMNS) + "\n")
        for n, row in enumerate(rows, 1):  # noqa: B007
            out.write(",".join([csv_cell(row[c]) for c in COLUMNS]) + "\n")
    else:
        for n, row in enumerate(rows, 1):  # noqa: B007
            out.write(json.dumps({c: row[c] for c in JSONL_COLUMNS}, ensure_ascii=False) + "\n")
    return n


def _write_parquet(rows: Iterator[dict[str, Any]], path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            (c, pa.int64() if c.startswith("span_") else pa.float64() if c == "duration_s" else pa.string())
            for c in COLUMNS
        ]
    )
    n = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append({c: row[c] for c in COLUMNS})
            if len(batch) >= _CHUNK:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                n += len(batch)
                batch = []
        if batch or n == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            n += len(batch)
    return n


def export_annotations(engine: Engine, project: str, fmt: str, out: Path | TextIO) -> int:
    """Write the export; returns the number of rows. Parquet needs a file path."""
    rows = iter_export(engine, project)
    if fmt == "parquet":
        assert isinstance(out, Path)
        return _write_parquet(rows, out)
    if isinstance(out, Path):
        with out.open("w", encoding="utf-8", newline="") as fh:
            return _write_text(rows, fmt, fh)
    return _write_text(rows, fmt, out)
