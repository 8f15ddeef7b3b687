"""A fast path for CSV annotations: rows that are plainly valid skip the general validator.

Bulk CSV is the common large import. Each row is checked inline (label in the label set, timestamp,
numbers, and the cell rules of `cells`: no control character, no formula guard to remove, column
widths); any row that fails a check goes through `rows.annotation_rows`, so reported problems and
accepted values are exactly those of the general path. An item's `text`/`url` columns go to the
item sink as rows.annotation_rows puts them (the last row of an item with either wins). Rows come out as plain tuples in `AnnotationRow` field order
(building the named tuple costs a Python call per row); consumers use them as tuples.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date
from operator import itemgetter
from typing import Any, BinaryIO

from bot.imports.cells import MAX_LENGTH
from bot.imports.item_sink import ItemSink
from bot.imports.items import ItemRow
from bot.imports.readers import Record, csv_record, csv_refusal, open_csv
from bot.imports.rows import (
    AnnotationRow,
    LabelSet,
    Problems,
    Tally,
    annotation_rows,
    parse_timestamp,
)

_FIELDS = ("item_id", "annotator", "label", "task", "created_at", "duration_s", "cohort",
           "span_start", "span_end", "external_id")  # fmt: skip
# 'YYYY-MM-DDTHH:MM:SS' in UTC ('Z' or '+00:00'), the form exports use: already the store's time, so
# only the date needs a real check (cached per day) and the text is reformatted, not parsed.
_UTC = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:Z|\+00:00)"
).fullmatch
_INF = float("inf")
# A cell the general path would treat differently: a control character (refused) or a leading `'`
# (export's formula guard, removed). The cells are joined with "\n", so a cell starts at the start or
# after a "\n". (One regex `…|^'` with MULTILINE costs three times as much per row: it tries the
# alternation at every position; the character class alone is a fast scan.)
# Checked inline in the loop (a function call per row costs as much as the checks).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]").search


_MAX_ITEM, _MAX_ANN, _MAX_TASK, _MAX_COHORT, _MAX_TEXT, _MAX_URL = (
    MAX_LENGTH[c] for c in ("item_id", "annotator", "task", "cohort", "text", "url")
)


def _ts(text: str, days: dict[str, bool]) -> str:
    """The store's UTC text for an ISO 8601 timestamp; ValueError if it is not one."""
    if _UTC(text):
        day = text[:10]
        ok = days.get(day)
        if ok is None:
            try:
                date.fromisoformat(day)
                ok = True
            except ValueError:
                ok = False
            if len(days) > 100_000:
                days.clear()
            days[day] = ok
        if ok:
            return day + " " + text[11:19] + ".000000"
    return parse_timestamp(text)  # other forms (offsets, fractions); raises ValueError


def _getter(idx: list[int | None]) -> Any:
    """values -> tuple of the columns at idx ('' for a column the file does not have)."""
    if None not in idx:
        return itemgetter(*idx)
    present = [i for i in idx if i is not None]
    get = itemgetter(*present) if len(present) > 1 else (lambda v: (v[present[0]],))

    def pick(values: list[str]) -> tuple[str, ...]:
        got = iter(get(values))
        return tuple("" if i is None else next(got) for i in idx)

    return pick


def csv_annotation_rows(
    stream: BinaryIO,
    labels: LabelSet,
    problems: Problems,
    tally: Tally,
    default_created_at: str,
    item_sink: ItemSink | None = None,
) -> Iterator[AnnotationRow]:
    """Validated annotation rows of a CSV file; problems are collected as in annotation_rows.

    With `item_sink`, the `text`/`url` columns of valid rows are collected there.
    """
    reader, header, bad = open_csv(stream, "annotations")
    width = len(header)
    col = {name: header.index(name) if name in header else None for name in _FIELDS}
    shown = item_sink is not None and ("text" in header or "url" in header)
    text_at = header.index("text") if "text" in header else None
    url_at = header.index("url") if "url" in header else None
    # The display data set last: the rows of an item are usually adjacent and repeat it.
    last_item = last_text = last_url = None
    simple = (
        None not in (col["item_id"], col["annotator"], col["label"])
        and col["span_start"] is None
        and col["span_end"] is None
        and col["external_id"] is None
        and labels.scale != "interval"
    )
    pick = _getter(
        [col[f] for f in ("item_id", "annotator", "label", "task", "created_at", "duration_s", "cohort")]
    )
    nums = {label: labels.check(label)[0] for label in labels.labels}
    days: dict[str, bool] = {}
    read = 0
    try:
        for values in reader:
            if not values:
                continue
            read += 1
            if simple and len(values) == width and not bad:
                item, ann, label, task, ts, dur, cohort = pick(values)
                if (
                    item
                    and ann
                    and label in nums
                    and len(item) <= _MAX_ITEM
                    and len(ann) <= _MAX_ANN
                    and len(task) <= _MAX_TASK
                    and len(cohort) <= _MAX_COHORT
                    and not _CONTROL(joined := "\n".join(values))
                    and "\n'" not in joined
                    and joined[:1] != "'"
                ):
                    try:
                        created = _ts(ts, days) if ts else default_created_at
                        duration = float(dur) if dur else None
                        ok = duration is None or 0 <= duration < _INF
                    except ValueError:
                        ok = False
                    if ok and shown and item_sink is not None:
                        text = "" if text_at is None else values[text_at]
                        url = "" if url_at is None else values[url_at]
                        if len(text) > _MAX_TEXT or len(url) > _MAX_URL:
                            ok = False
                        elif (text or url) and (item != last_item or text != last_text or url != last_url):
                            item_sink[item] = ItemRow(item, text or None, url or None, None, None)
                            last_item, last_text, last_url = item, text, url
                    if ok:
                        yield (
                            task or "default", item, ann, label, nums[label], None, None, "", created,
                            duration, cohort or None, None,
                        )  # type: ignore[misc]  # fmt: skip
                        continue
            # Slow path: the general validator names every problem of this row.
            last_item = None  # it may set this row's item: the next fast row must set it again
            line = reader.line_num
            if bad and bad[-1] <= line:
                n = bad.pop()
                bad.clear()
                rec = Record(f"line {n}", problem=("-", "not valid UTF-8"))
            elif len(values) != width:
                rec = Record(f"line {line}", problem=("-", f"{len(values)} fields, header has {width}"))
            else:
                rec = csv_record(f"line {line}", header, values)
            sub = Tally()
            yield from annotation_rows((rec,), labels, problems, sub, default_created_at, None, item_sink)
    except csv.Error as exc:
        raise csv_refusal(exc, reader) from None
    finally:
        tally.read += read
