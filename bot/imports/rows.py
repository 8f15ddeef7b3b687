"""Validation and normalization of records into annotation and gold rows (pure, no database)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from bot.errors import RowsRefused
from bot.imports.cells import MAX_INT, cell_reason, length_reason
from bot.imports.item_sink import ItemSink
from bot.imports.items import DataRefused, ItemRow, tool_item, user_item
from bot.imports.readers import Record

MAX_REPORTED = 20
MAX_OFFSET = 2**31 - 1  # span offsets are INTEGER columns (32-bit on PostgreSQL)


class AnnotationRow(NamedTuple):
    """A normalized annotation; created_at is UTC ISO text 'YYYY-MM-DD HH:MM:SS.ffffff'."""

    task: str
    item: str
    annotator: str
    label: str
    label_num: float | None
    span_start: int | None
    span_end: int | None
    span_key: str
    created_at: str
    duration_s: float | None
    cohort: str | None
    external_id: str | None


class GoldRow(NamedTuple):
    """A normalized gold answer."""

    task: str
    item: str
    label: str


@dataclass(frozen=True)
class LabelSet:
    """What a project's guideline allows: its labels and scale (nominal, ordinal, interval).

    `canonical` gives each accepted label its one stored form: on interval and ordinal scales a number
    is the guideline's label of that value (`1.0` and `1` are one value, stored as the guideline writes
    it); a multi-choice answer is its distinct choices sorted and joined with `|`.
    """

    labels: tuple[str, ...]
    scale: str
    _set: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)
    _by_value: dict[float, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def canonical(self, label: str) -> tuple[str, float | None, str | None]:
        """(stored label, label_num, error reason or None) for a label as given."""
        if self.scale == "interval":
            try:
                num = float(label)
            except ValueError:
                return label, None, f"'{label}' is not a number (interval scale)"
            if not math.isfinite(num):
                return label, None, f"'{label}' is not a finite number"
            if not self.labels:
                return _num_text(num), num, None
            if label in self._set:
                return label, num, None
            known = self._by_value.get(num)
            if known is None:
                return label, None, f"unknown label '{label}' (allowed: {', '.join(self.labels)})"
            return known, num, None
        if label in self._set:
            return label, self._rank(label), None
        if self.scale == "ordinal" and (known := self._numeric_label(label)) is not None:
            return known, self._rank(known), None
        parts = label.split("|")
        if len(parts) > 1 and all(p in self._set for p in parts):
            choices = sorted(set(parts))
            # `a|a` is the single choice `a`.
            return "|".join(choices), self._rank(choices[0]) if len(choices) == 1 else None, None
        return label, None, f"unknown label '{label}' (allowed: {', '.join(self.labels)})"

    def check(self, label: str) -> tuple[float | None, str | None]:
        """(label_num, error reason or None) for a label."""
        _, num, why = self.canonical(label)
        return num, why

    def _rank(self, label: str) -> float | None:
        return float(self.labels.index(label)) if self.scale == "ordinal" else None

    def _numeric_label(self, label: str) -> str | None:
        """The guideline's label with the same numeric value as `label`, if both are numbers."""
        try:
            num = float(label)
        except ValueError:
            return None
        return self._by_value.get(num) if math.isfinite(num) else None

    def __post_init__(self) -> None:
        object.__setattr__(self, "_set", frozenset(self.labels))
        by_value: dict[float, str] = {}
        for lab in self.labels:
            try:
                num = float(lab)
            except ValueError:
                continue
            if math.isfinite(num):
                by_value.setdefault(num, lab)  # two labels of one value: the first is the stored form
        object.__setattr__(self, "_by_value", by_value)


def _num_text(num: float) -> str:
    return str(int(num)) if num.is_integer() else str(num)


@dataclass(frozen=True)
class RowProblem:
    """One offending record: where, which field, why."""

    pos: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.pos}: {self.field}: {self.reason}"


@dataclass
class Problems:
    """The first MAX_REPORTED problems and the count of the rest."""

    shown: list[RowProblem] = field(default_factory=list)
    more: int = 0
    rows: int = 0
    _last: str = ""

    def add(self, pos: str, fld: str, reason: str) -> None:
        """Record a problem."""
        if pos != self._last:
            self.rows, self._last = self.rows + 1, pos
        if len(self.shown) < MAX_REPORTED:
            self.shown.append(RowProblem(pos, fld, reason))
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.shown)

    def raise_if_any(self, name: str) -> None:
        """Refuse the whole file with a report."""
        if not self.shown:
            return
        total = self.rows
        lines = [f"{name}: refused, {total} invalid row{'s' * (total != 1)}; nothing was imported"]
        lines += [f"  {p}" for p in self.shown]
        if self.more:
            lines.append(f"  ... and {self.more} more problems")
        raise RowsRefused(lines)


def row_time(dt: datetime) -> str:
    """An aware datetime as a row's created_at: UTC text 'YYYY-MM-DD HH:MM:SS.ffffff' (sortable)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@lru_cache(maxsize=65536)
def parse_timestamp(text: str) -> str:
    """ISO 8601 with a time zone → UTC text in the rows' sortable form (row_time); ValueError otherwise."""
    dt = datetime.fromisoformat(text.strip())
    if dt.tzinfo is None:
        raise ValueError("no time zone")
    try:
        return row_time(dt)
    except OverflowError:  # e.g. year 1 with a positive offset is before datetime.min in UTC
        raise ValueError("out of range") from None


def _text(value: Any) -> str | None:
    """A string or number as text; None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
        return None  # refused by cells.cell_reason; str() of a huge int is slow or raises
    return _num_text(float(value)) if isinstance(value, float) else str(value)


_ANNOTATIONS_FILE = (
    "gold answers have no annotator: this is an annotations file (use 'annobot import annotations')"
)


def _check_cells(rec: Record, problems: Problems) -> None:
    """The cell rules (cells.cell_reason) on every field of a record."""
    for name, value in rec.fields.items():
        why = cell_reason(value)
        if why is not None:
            problems.add(rec.pos, name, why)


def _fits(rec: Record, name: str, text: str | None, problems: Problems) -> None:
    """The column width rule (cells.length_reason) on a field's stored text."""
    if text is not None and (why := length_reason(name, text)) is not None:
        problems.add(rec.pos, name, why)


def _required(rec: Record, name: str, problems: Problems) -> str | None:
    value = rec.fields.get(name)
    if value is None or value == "":
        problems.add(rec.pos, name, "missing")
        return None
    text = _text(value)
    if text is None:
        problems.add(rec.pos, name, f"must be a string or number, got {type(value).__name__}")
    return text


def _optional_float(rec: Record, name: str, problems: Problems) -> float | None:
    value = rec.fields.get(name)
    if value is None or value == "":
        return None
    try:
        num = float(value)
    except (TypeError, ValueError, OverflowError):
        problems.add(rec.pos, name, f"not a number: {value!r}")
        return None
    if isinstance(value, bool) or not math.isfinite(num) or num < 0:
        problems.add(rec.pos, name, f"not a non-negative number: {value!r}")
        return None
    return num


def _optional_int(rec: Record, name: str, problems: Problems) -> int | None:
    value = rec.fields.get(name)
    if value is None or value == "":
        return None
    try:
        num = int(value)
    except (TypeError, ValueError, OverflowError):
        problems.add(rec.pos, name, f"not an integer offset: {value!r}")
        return None
    if isinstance(value, bool) or num < 0 or num > MAX_OFFSET:
        problems.add(rec.pos, name, f"not an integer offset in 0..{MAX_OFFSET}: {value!r}")
        return None
    return num


def _display(rec: Record, item: str | None, problems: Problems) -> ItemRow | None:
    """The display data a record's `text`, `url` (and JSONL `data`) give its item; problems named."""
    f = rec.fields
    if "text" not in f and "url" not in f and "data" not in f:
        return None
    n_before = len(problems.shown) + problems.more
    text = url = None
    raw = f.get("text")
    if raw is not None and raw != "":
        text = _text(raw)
        if text is None:
            problems.add(rec.pos, "text", f"must be a string or number, got {type(raw).__name__}")
    raw = f.get("url")
    if raw is not None and raw != "":
        if isinstance(raw, str):
            url = raw
        else:
            problems.add(rec.pos, "url", f"must be a string, got {type(raw).__name__}")
    _fits(rec, "text", text, problems)
    _fits(rec, "url", url, problems)
    data = f.get("data")
    if data is not None and not isinstance(data, dict):
        if not isinstance(data, str):  # a CSV column named data is text, and ignored as before
            problems.add(rec.pos, "data", f"must be a JSON object, got {type(data).__name__}")
        data = None
    if item is None or len(problems.shown) + problems.more != n_before:
        return None
    try:
        return user_item(item, text, url, data)
    except DataRefused as exc:
        problems.add(rec.pos, "data", str(exc))
        return None


def task_item(item_id: Any, data: Any) -> ItemRow | None:
    """A Label Studio task's display row (imports/items.tool_item); None for an id that is not an item id.

    An unusable id is not reported here: the task's annotations carry the same id and are refused.
    """
    item = _text(item_id)
    if not item or cell_reason(item) is not None or length_reason("item_id", item) is not None:
        return None
    return tool_item(item, data)


def _tool_display(rec: Record, sink: ItemSink) -> None:
    row = task_item(rec.fields.get("item_id"), rec.fields.get("data"))
    if row is not None:
        sink[row.item] = row


@dataclass
class Tally:
    """Counts while reading."""

    read: int = 0
    cancelled: int = 0
    gold: int = 0


def annotation_rows(
    records: Iterable[Record],
    labels: LabelSet,
    problems: Problems,
    tally: Tally,
    default_created_at: str,
    gold_sink: list[GoldRow] | None = None,
    item_sink: ItemSink | None = None,
) -> Iterator[AnnotationRow]:
    """Validate records and yield annotation rows; problems are collected, invalid rows dropped.

    With `item_sink`, the display data of valid rows (and of Label Studio tasks) is collected there.
    """
    add = problems.add
    for rec in records:
        if rec.problem is not None:
            tally.read += 1
            add(rec.pos, *rec.problem)
            continue
        if rec.kind == "item":
            if item_sink is not None:
                _tool_display(rec, item_sink)
            continue
        if rec.kind == "cancelled":
            tally.cancelled += 1
            continue
        tally.read += 1
        f = rec.fields
        n_before = len(problems.shown) + problems.more
        _check_cells(rec, problems)
        task = _text(f.get("task")) or "default"
        item = _required(rec, "item_id", problems)
        label_text = _required(rec, "label", problems)
        label_num = None
        if label_text is not None:
            label_text, label_num, why = labels.canonical(label_text)
            if why:
                add(rec.pos, "label", why)
        shown = _display(rec, item, problems) if item_sink is not None else None
        if rec.kind == "gold":
            _fits(rec, "task", task, problems)
            _fits(rec, "item_id", item, problems)
            clean = len(problems.shown) + problems.more == n_before
            if clean and gold_sink is not None and item is not None and label_text is not None:
                gold_sink.append(GoldRow(task, item, label_text))
                tally.gold += 1
                if shown is not None and item_sink is not None:
                    item_sink[item] = shown
            continue
        annotator = _required(rec, "annotator", problems)
        raw_ts = f.get("created_at")
        if raw_ts is None or raw_ts == "":
            created_at = default_created_at
        elif not isinstance(raw_ts, str):
            add(rec.pos, "created_at", f"not an ISO 8601 timestamp: {raw_ts!r}")
            created_at = default_created_at
        else:
            try:
                created_at = parse_timestamp(raw_ts)
            except ValueError as exc:
                why = (
                    "no time zone (ISO 8601 with an offset or Z required)"
                    if "zone" in str(exc)
                    else "not ISO 8601"
                )
                add(rec.pos, "created_at", f"{why}: {raw_ts!r}")
                created_at = default_created_at
        duration = _optional_float(rec, "duration_s", problems)
        start = _optional_int(rec, "span_start", problems)
        end = _optional_int(rec, "span_end", problems)
        if (start is None) != (end is None) or (start is not None and end is not None and end < start):
            add(rec.pos, "span_end", f"span needs 0 <= start <= end, got {start}..{end}")
        cohort = _text(f.get("cohort")) or None
        ext = f.get("external_id")
        if ext is not None and ext != "" and _text(ext) is None:
            add(rec.pos, "external_id", f"must be a string or number, got {type(ext).__name__}")
        for name, value in (("task", task), ("item_id", item), ("annotator", annotator), ("cohort", cohort)):
            _fits(rec, name, value, problems)
        if ext is not None and ext != "":
            _fits(rec, "external_id", _text(ext), problems)
        if len(problems.shown) + problems.more != n_before:
            continue
        assert item is not None and annotator is not None and label_text is not None
        if shown is not None and item_sink is not None:
            item_sink[item] = shown
        yield AnnotationRow(
            task,
            item,
            annotator,
            label_text,
            label_num,
            start,
            end,
            "" if start is None else f"{start}:{end}",
            created_at,
            duration,
            cohort,
            None if ext is None or ext == "" else _text(ext),
        )


def gold_rows(
    records: Iterable[Record],
    labels: LabelSet,
    problems: Problems,
    tally: Tally,
    item_sink: ItemSink | None = None,
) -> Iterator[GoldRow]:
    """Validate gold records (item_id, label, optional task); Label Studio: ground-truth annotations only.

    With `item_sink`, display data is collected as annotation_rows does.
    """
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for rec in records:
        if rec.problem is not None:
            tally.read += 1
            problems.add(rec.pos, *rec.problem)
            continue
        if rec.kind == "item":
            if item_sink is not None:
                _tool_display(rec, item_sink)
            continue
        if rec.kind == "cancelled":
            tally.cancelled += 1
            continue
        if rec.kind == "annotation" and "external_id" in rec.fields:
            continue  # a Label Studio annotation that is not ground truth
        tally.read += 1
        n_before = len(problems.shown) + problems.more
        _check_cells(rec, problems)
        if rec.kind == "annotation" and rec.fields.get("annotator") not in (None, ""):
            problems.add(rec.pos, "annotator", _ANNOTATIONS_FILE)
        item = _required(rec, "item_id", problems)
        label = _required(rec, "label", problems)
        if label is not None:
            label, _, why = labels.canonical(label)
            if why:
                problems.add(rec.pos, "label", why)
        task = _text(rec.fields.get("task")) or "default"
        _fits(rec, "task", task, problems)
        _fits(rec, "item_id", item, problems)
        shown = _display(rec, item, problems) if item_sink is not None else None
        if len(problems.shown) + problems.more == n_before and item is not None and label is not None:
            if shown is not None and item_sink is not None:
                item_sink[item] = shown
            row = GoldRow(task, item, label)
            # Two answers for one item would leave gold at whichever came last: refused instead.
            first = seen.setdefault((row.task, row.item), (rec.pos, label))
            if first[1] != label:
                problems.add(rec.pos, "label", f"item {item!r} already has gold {first[1]!r} at {first[0]}")
                continue
            yield row
