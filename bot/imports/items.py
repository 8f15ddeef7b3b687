"""Item display data from imports and the webhook: what a labeler saw, bounded in size (pure).

Two sources, two policies:

- columns a user writes (CSV/JSONL `text`, `url`; JSONL `data`) follow the cell rules of every other
  column: too long, a control character, a `data` that is not an object, and the file is refused,
  naming the line and field;
- Label Studio's task `data` (export and webhook) is the tool's own and never refuses an annotation:
  text past MAX_TEXT is cut, a URL past MAX_URL or data past MAX_DATA_BYTES is left out, characters
  the store cannot hold are replaced, and each such change is written to the item's `note`.

Text and URL are taken from `data` by key (see `derive`), so an item from an export, the webhook or a
JSONL file with only `data` is shown the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

MAX_TEXT = 65_536  # characters of an item's text
MAX_URL = 8_192  # characters of an item's URL
MAX_DATA_BYTES = 65_536  # bytes of the task data as compact UTF-8 JSON
# Label Studio's usual value names ($text, $image, …), in the order they are tried.
TEXT_KEYS = ("text", "content", "body", "html", "sentence", "question", "title")
URL_KEYS = ("url", "image", "audio", "video", "pdf", "link")
# C0 controls except tab/LF/CR, and lone surrogates: what the cell rules refuse (cells._CONTROL).
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


class ItemRow(NamedTuple):
    """One item's display data as stored; `data` is compact JSON text (None: no data kept)."""

    item: str
    text: str | None
    url: str | None
    data: str | None
    note: str | None


class DataRefused(ValueError):
    """A user-written `data` value the store will not keep (reason in the message)."""


def encode_data(data: Mapping[str, Any]) -> str:
    """Compact JSON of task data within MAX_DATA_BYTES; DataRefused with the reason otherwise."""
    try:
        out = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        raise DataRefused("holds NaN or Infinity, which JSON does not allow") from None
    except RecursionError:
        raise DataRefused("nested too deeply") from None
    try:
        size = len(out.encode("utf-8"))
    except UnicodeEncodeError:
        # A lone surrogate (from a "\ud800" escape): kept escaped, which is still the same JSON value.
        out = json.dumps(data, separators=(",", ":"), allow_nan=False)
        size = len(out)
    if size > MAX_DATA_BYTES:
        raise DataRefused(f"larger than {MAX_DATA_BYTES:,} bytes as JSON ({size:,})")
    return out


def _looks_like_url(value: str) -> bool:
    return bool(_SCHEME.match(value)) or value.startswith("/data/")


def derive(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(text, url) shown for task data: the first string under TEXT_KEYS / URL_KEYS, in that order.

    With no text key, the text is the first top-level string that is not under a URL key and does
    not look like a URL (`scheme://…` or Label Studio's `/data/…` uploads). Values are not changed.
    """
    text = next((v for k in TEXT_KEYS if isinstance(v := data.get(k), str) and v), None)
    url = next((v for k in URL_KEYS if isinstance(v := data.get(k), str) and v), None)
    if text is None:
        text = next(
            (
                v
                for k, v in data.items()
                if isinstance(v, str) and v and k not in URL_KEYS and not _looks_like_url(v)
            ),
            None,
        )
    return text, url


def _storable(value: str) -> tuple[str, bool]:
    """`value` with unstorable characters replaced by U+FFFD, and whether any were."""
    fixed = _UNSTORABLE.sub("\ufffd", value)
    return fixed, fixed != value


def tool_item(item: str, data: Any) -> ItemRow | None:
    """The row for a Label Studio task's `data` (never refused; see the module doc), None if not an object."""
    if not isinstance(data, dict):
        return None
    notes: list[str] = []
    text, url = derive(data)
    if text is not None:
        text, replaced = _storable(text)
        if replaced:
            notes.append("control characters in the text shown as U+FFFD")
        if len(text) > MAX_TEXT:
            notes.append(f"text cut to {MAX_TEXT:,} of {len(text):,} characters")
            text = text[:MAX_TEXT]  # no surrogates are left to split: they were replaced above
    if url is not None:
        url, replaced = _storable(url)
        if len(url) > MAX_URL:
            notes.append(f"URL of {len(url):,} characters left out (limit {MAX_URL:,})")
            url = None
        elif replaced:
            notes.append("control characters in the URL shown as U+FFFD")
    try:
        encoded: str | None = encode_data(data)
    except DataRefused as exc:
        notes.append(f"task data left out: {exc}")
        encoded = None
    return ItemRow(item, text, url, encoded, "; ".join(notes) or None)


def user_item(item: str, text: str | None, url: str | None, data: Mapping[str, Any] | None) -> ItemRow | None:
    """The row for checked user columns (text, url, data); missing text/url come from `data`.

    The columns were checked by the cell rules (rows.py); `data` is encoded here (DataRefused if over
    the cap). Text taken from data fits MAX_TEXT (data is at most MAX_DATA_BYTES); a URL over MAX_URL
    is left out with a note.
    """
    if text is None and url is None and data is None:
        return None
    note = None
    encoded = None
    if data is not None:
        encoded = encode_data(data)
        derived_text, derived_url = derive(data)
        text = text if text is not None else derived_text
        if url is None and derived_url is not None:
            if len(derived_url) > MAX_URL:
                note = f"URL of {len(derived_url):,} characters left out (limit {MAX_URL:,})"
            else:
                url = derived_url
    return ItemRow(item, text, url, encoded, note)
