"""A fast path for CSV annotations: rows that are plainly valid skip the general validator.

Bulk CSV is the common large import. Each row is checked inline (label in the label set, timestamp in
a cached parse, numbers); any row that fails a check goes through `rows.annotation_rows`, so reported
problems are exactly those of the general path.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import BinaryIO

from bot.imports.readers import Record, _decoded_lines
from bot.imports.rows import AnnotationRow, LabelSet, Problems, Tally, annotation_rows, parse_timestamp

_FIELDS = ("item_id", "annotator", "label", "task", "created_at", "duration_s", "cohort",
           "span_start", "span_end", "external_id")  # fmt: skip


def _ts(text: str, cache: dict[str, str]) -> str:
    got = cache.get(text)
    if got is None:
        # The common form 'YYYY-MM-DDTHH:MM:SS' + 'Z' or '+00:00' is already UTC: reformat the text.
        if len(text) in (20, 25) and text[10] == "T" and text[19:] in ("Z", "+00:00"):
            parse_timestamp(text)  # validates (raises ValueError)
            got = text[:10] + " " + text[11:19] + ".000000"
        else:
            got = parse_timestamp(text)
        if len(cache) > 100_000:
            cache.clear()
        cache[text] = got
    return got


def csv_annotation_rows(
    stream: BinaryIO, labels: LabelSet, problems: Problems, tally: Tally, default_created_at: str
) -> Iterator[AnnotationRow]:
    """Validated annotation rows of a CSV file; problems are collected as in annotation_rows."""
    bad: list[int] = []
    reader = csv.reader(_decoded_lines(stream, bad))
    header = next(reader, None)
    if header is None:
        return
    header = [h.strip() for h in header]
    width = len(header)
    col = {name: header.index(name) if name in header else None for name in _FIELDS}
    i_item, i_ann, i_label = col["item_id"], col["annotator"], col["label"]
    i_task, i_ts, i_dur, i_coh = col["task"], col["created_at"], col["duration_s"], col["cohort"]
    simple = None not in (i_item, i_ann, i_label) and col["span_start"] is None and col["external_id"] is None
    nums: dict[str, float | None] = {}
    for label in labels.labels:
        nums[label] = labels.check(label)[0]
    interval = labels.scale == "interval"
    cache: dict[str, str] = {}
    read = 0
    for values in reader:
        if not values:
            continue
        read += 1
        line = reader.line_num
        if simple and not bad and len(values) == width and not interval:
            item, ann, label = values[i_item], values[i_ann], values[i_label]  # type: ignore[index]
            if item and ann and label in nums:
                try:
                    ts = values[i_ts] if i_ts is not None else ""
                    created = _ts(ts, cache) if ts else default_created_at
                    dur = values[i_dur] if i_dur is not None else ""
                    duration = float(dur) if dur else None
                    ok = duration is None or 0 <= duration < float("inf")
                except ValueError:
                    ok = False
                if ok:
                    task = values[i_task] if i_task is not None else ""
                    cohort = values[i_coh] if i_coh is not None else ""
                    yield AnnotationRow(
                        task or "default", item, ann, label, nums[label], None, None, "", created, duration,
                        cohort or None, None,
                    )  # fmt: skip
                    continue
        # Slow path: the general validator names every problem of this row.
        if bad and bad[-1] <= line:
            n = bad.pop()
            bad.clear()
            rec = Record(f"line {n}", problem=("-", "not valid UTF-8"))
        elif len(values) != width:
            rec = Record(f"line {line}", problem=("-", f"{len(values)} fields, header has {width}"))
        else:
            rec = Record(f"line {line}", dict(zip(header, values, strict=True)))
        sub = Tally()
        yield from annotation_rows((rec,), labels, problems, sub, default_created_at)
    tally.read += read
