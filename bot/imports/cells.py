"""The one rule for imported columns and cells: which columns a file may have, what a cell may hold.

Every reader (CSV general and fast path, JSONL, Label Studio export) and the Label Studio webhook
use these, so a file and a webhook payload are refused for the same reasons on both backends:

- a text cell holding a C0 control character other than tab, LF and CR (NUL included), or longer
  than its column (the store's VARCHAR sizes, which PostgreSQL enforces and SQLite does not), or an
  integer beyond 64 bits;
- a CSV field over MAX_FIELD characters (the csv module's field_size_limit);
- a CSV header with a duplicate, a missing required or a mistyped column (header_problem).

CSV cells that a spreadsheet would run are written by export with a leading `'` (guard_cell) and
CSV import removes it again (unguard_cell): the mapping is a bijection, so export then import
reproduces every value.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from bot.imports.items import MAX_TEXT, MAX_URL

MAX_INT = 2**63 - 1  # the largest id or number a field may hold (BIGINT)
MAX_FIELD = 1 << 20  # characters per CSV field (1 MiB of ASCII)
# The C0 controls except tab, LF and CR: PostgreSQL cannot store NUL in text, and none of these
# belong in a label, an id or a name. Also lone surrogates (JSON's "\ud800" escape decodes to one):
# they are not Unicode characters and neither backend's driver can encode them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# Widths of the store's text columns (bot/store/models/annotations.py); label is unbounded TEXT.
# An item's text and URL (bot/store/models/items.py) are TEXT, bounded by the caps of imports/items.py.
MAX_LENGTH = {
    "task": 200, "item_id": 300, "annotator": 200, "cohort": 100, "external_id": 100,
    "text": MAX_TEXT, "url": MAX_URL,
}  # fmt: skip

REQUIRED = {"annotations": ("item_id", "annotator", "label"), "gold": ("item_id", "label")}
OPTIONAL = {
    "annotations": (
        "task", "created_at", "duration_s", "cohort", "span_start", "span_end", "external_id",
        "guideline_version", "source",  # written by export, not read back (the import sets them)
        "text", "url",  # the item's display data (imports/items.py)
    ),
    "gold": ("task", "text", "url"),
}  # fmt: skip
# Spreadsheet formula triggers (OWASP CSV injection): a cell starting with one of these is run.
_TRIGGERS = "=+-@\t\r"
_GUARDED = re.compile(r"'+[=+\-@\t\r]").match  # a cell export guarded (or one with quotes before a trigger)
_NEEDS_GUARD = re.compile(r"'*[=+\-@\t\r]").match
# Plain numbers (e.g. "-1" on an interval scale) are left as they are: a spreadsheet reads them as
# numbers, which runs nothing, and they stay numbers for the import.
_NUMBER = re.compile(r"-[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?").fullmatch


def control_reason(text: str) -> str | None:
    """Why a text cell is refused for a control character, or None."""
    m = _CONTROL.search(text)
    if m is None:
        return None
    code = ord(m.group())
    if code >= 0xD800:
        return f"contains a lone surrogate U+{code:04X} at position {m.start() + 1} (not valid Unicode)"
    return f"contains the control character U+{code:04X} at position {m.start() + 1}"


def cell_reason(value: Any) -> str | None:
    """Why an imported field's value is refused (a control character, an integer too large), or None.

    Lists (a multi-choice label) and objects are checked element by element, without recursion.
    """
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            why = control_reason(v)
            if why is not None:
                return why
        elif isinstance(v, int) and not -MAX_INT <= v <= MAX_INT:
            return f"integer out of range (more than {len(str(MAX_INT))} digits)"
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
    return None


def length_reason(name: str, text: str) -> str | None:
    """Why a field's text is refused as longer than its column, or None."""
    limit = MAX_LENGTH.get(name)
    if limit is not None and len(text) > limit:
        return f"longer than {limit} characters ({len(text)})"
    return None


def guard_cell(text: str) -> str:
    """A CSV cell as export writes it: `'` before a cell a spreadsheet would run (see module doc)."""
    if text[:1] in ("'", *_TRIGGERS) and _NEEDS_GUARD(text) and not _NUMBER(text):
        return "'" + text
    return text


def unguard_cell(text: str) -> str:
    """The inverse of guard_cell, applied by CSV import to every cell."""
    if text[:1] == "'" and _GUARDED(text):
        return text[1:]
    return text


def expected_columns(kind: str) -> str:
    """The columns of a file of this kind, for messages."""
    return ", ".join(REQUIRED[kind]) + " (required); " + ", ".join(OPTIONAL[kind]) + " (optional)"


def header_problem(header: list[str] | None, kind: str) -> str | None:
    """Why a CSV header is refused for an import of `kind` (annotations, gold), or None."""
    if header is None or not any(header):
        return f"empty file: expected a header row with the columns {expected_columns(kind)}"
    seen: set[str] = set()
    for name in header:
        if name in seen:
            return f"line 1: duplicate column '{name}'"
        seen.add(name)
    if kind == "gold" and "annotator" in seen:
        return (
            "line 1: has an 'annotator' column: this is an annotations file, not gold answers"
            " (use 'annobot import annotations'; gold has one label per item)"
        )
    known = REQUIRED[kind] + OPTIONAL[kind]
    for name in header:
        if name and name not in known and name != "annotator":
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
            if close:
                return f"line 1: unknown column '{name}' (did you mean '{close[0]}'?)"
    missing = [c for c in REQUIRED[kind] if c not in seen]
    if missing:
        why = f"line 1: missing column{'s' * (len(missing) > 1)} {', '.join(missing)}"
        if len(header) == 1 and any(d in header[0] for d in ";\t|"):
            why += " (the header is one column: annobot reads comma-separated files)"
        return why + f"; expected the columns {expected_columns(kind)}"
    return None
