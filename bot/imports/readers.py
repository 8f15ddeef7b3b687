"""Streaming readers for CSV, JSONL and Label Studio JSON exports; no database, no validation of labels.

Every reader yields `Record`s: a position (line or record number) and a flat dict of fields, or a
problem (`field`, `reason`) when the record itself cannot be read (bad encoding, bad JSON).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, BinaryIO

from bot.errors import InputError
from bot.imports.cells import MAX_FIELD, header_problem, unguard_cell

FORMATS = ("csv", "jsonl", "label-studio")
_CHUNK = 1 << 20


@dataclass(slots=True)
class Record:
    """One input record, flattened; `kind` is annotation, gold, cancelled or item (a task's `data`)."""

    pos: str  # "line 12" or "record 3 (annotation 17, result 2)"
    fields: dict[str, Any] = field(default_factory=dict)
    kind: str = "annotation"
    problem: tuple[str, str] | None = None  # (field, reason) when unreadable


class FileRefused(InputError):
    """The whole file is refused at one place (its header, a CSV line the csv module cannot read).

    The message names the line but not the file: the loader, which knows the path, adds it.
    """


def detect_format(head: bytes) -> str:
    """Guess the format from the first bytes: '[' is a Label Studio export, '{' JSONL, else CSV."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return "label-studio"
    if text.startswith(b"{"):
        return "jsonl"
    return "csv"


def _decoded_lines(stream: BinaryIO, bad: list[int]) -> Iterator[str]:
    """Lines as text; undecodable lines are noted in `bad` (1-based) and decoded with replacement.

    Decodes a block of whole lines at a time (one call instead of one per line); only a block that
    is not valid UTF-8 is decoded line by line, noting its bad lines as they are reached.
    """
    return chain.from_iterable(_decoded_blocks(stream, bad))


def _bad_block(data: bytes, first_line: int, bad: list[int]) -> Iterator[str]:
    for n, raw in enumerate(io.BytesIO(data), first_line):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(n)
            yield raw.decode("utf-8", errors="replace")


def _decoded_blocks(stream: BinaryIO, bad: list[int]) -> Iterator[Iterator[str]]:
    lines_before = 0
    rest = b""
    first = True
    while True:
        block = stream.read(_CHUNK)
        data = rest + block
        if block:
            cut = data.rfind(b"\n") + 1  # whole lines only; the rest waits for the next block
            if cut == 0:
                rest = data
                continue
            data, rest = data[:cut], data[cut:]
        if first:
            first = False
            if data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
        if data:
            try:
                # newline="\n": split on "\n" only, as iterating the binary file does.
                yield io.StringIO(data.decode("utf-8"), newline="\n")
            except UnicodeDecodeError:
                yield _bad_block(data, lines_before + 1, bad)
            lines_before += data.count(b"\n")
        if not block:
            return


def open_csv(stream: BinaryIO, kind: str = "annotations") -> tuple[Any, list[str], list[int]]:
    """A csv reader past the header, the stripped header, and the list undecodable line numbers go to.

    Raises FileRefused when the header is refused for an import of `kind` (cells.header_problem).
    """
    # Per process, not per reader: set here, before reading, rather than at import time.
    csv.field_size_limit(MAX_FIELD)
    bad: list[int] = []
    reader = csv.reader(_decoded_lines(stream, bad))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise csv_refusal(exc, reader) from None
    if header is not None:
        header = [h.strip() for h in header]
        if header:
            header[0] = header[0].lstrip("\ufeff")
    why = header_problem(header, kind)
    if why is not None:
        raise FileRefused(why)
    assert header is not None
    return reader, header, bad


def csv_refusal(exc: csv.Error, reader: Any) -> FileRefused:
    """A csv module error (a field over the limit, a bare CR) as a refusal naming the line."""
    msg = str(exc)
    if "field larger than field limit" in msg:
        msg = f"a field is longer than {MAX_FIELD:,} characters (the limit per CSV field)"
    elif "new-line character seen in unquoted field" in msg:
        msg = "a carriage return in an unquoted field (quote fields that contain line breaks)"
    return FileRefused(f"line {max(reader.line_num, 1)}: {msg}")


def csv_record(pos: str, header: list[str], values: list[str]) -> Record:
    """A CSV row's record, each cell with export's formula guard removed (cells.unguard_cell)."""
    return Record(pos, {h: unguard_cell(v) for h, v in zip(header, values, strict=True)})


def read_csv(stream: BinaryIO, kind: str = "annotations") -> Iterator[Record]:
    """CSV with a header row; positions are the (last) physical line of each row."""
    reader, header, bad = open_csv(stream, kind)
    width = len(header)
    try:
        for values in reader:
            line = reader.line_num
            if bad and bad[-1] <= line:
                n = bad.pop()
                bad.clear()
                yield Record(f"line {n}", problem=("-", "not valid UTF-8"))
                continue
            if not values:
                continue
            if len(values) != width:
                yield Record(f"line {line}", problem=("-", f"{len(values)} fields, header has {width}"))
                continue
            yield csv_record(f"line {line}", header, values)
    except csv.Error as exc:
        raise csv_refusal(exc, reader) from None


def read_jsonl(stream: BinaryIO) -> Iterator[Record]:
    """One JSON object per line; blank lines are skipped."""
    for n, raw in enumerate(stream, 1):
        if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            yield Record(f"line {n}", problem=("-", "not valid UTF-8"))
            continue
        except json.JSONDecodeError as exc:
            yield Record(f"line {n}", problem=("-", f"not valid JSON: {exc.msg}"))
            continue
        except (ValueError, RecursionError) as exc:  # an integer of over 4300 digits, deep nesting
            yield Record(f"line {n}", problem=("-", f"not readable JSON: {_json_reason(exc)}"))
            continue
        if not isinstance(obj, dict):
            yield Record(f"line {n}", problem=("-", "not a JSON object"))
            continue
        yield Record(f"line {n}", obj)


def _json_reason(exc: BaseException) -> str:
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc)


def iter_json_array(stream: BinaryIO) -> Iterator[Any]:
    """The elements of a top-level JSON array, decoded one at a time (constant memory per element)."""
    decoder = json.JSONDecoder()
    buf = ""
    pending = b""
    started = False
    eof = False

    def more() -> bool:
        nonlocal buf, pending, eof
        if eof:
            return False
        chunk = stream.read(_CHUNK)
        if not chunk:
            eof = True
            if pending:
                raise ValueError("file ends inside a UTF-8 sequence")
            return False
        data = pending + chunk
        # Keep an incomplete multi-byte sequence for the next chunk.
        cut = len(data)
        for back in range(1, min(4, len(data)) + 1):
            b = data[-back]
            if b & 0xC0 == 0x80:
                continue
            if b >= 0xC0:
                need = 2 if b < 0xE0 else 3 if b < 0xF0 else 4
                if back < need:
                    cut = len(data) - back
            break
        pending = data[cut:]
        buf += data[:cut].decode("utf-8")
        return True

    pos = 0
    while True:
        while pos < len(buf) and buf[pos] in " \t\r\n\ufeff,":
            if buf[pos] == "," and not started:
                raise ValueError("unexpected ',' before the array")
            pos += 1
        if pos >= len(buf):
            buf, pos = "", 0
            if not more():
                raise ValueError("file ends inside the JSON array")
            continue
        ch = buf[pos]
        if not started:
            if ch != "[":
                raise ValueError("not a JSON array")
            started = True
            pos += 1
            continue
        if ch == "]":
            return
        while True:
            try:
                obj, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                # Possibly incomplete: read more; at end of file it is a real error.
                if more():
                    continue
                raise ValueError(f"not valid JSON: {exc.msg}") from None
            if end == len(buf) and more():
                continue  # a number may continue in the next chunk
            break
        yield obj
        buf, pos = buf[end:], 0


def _user_id(completed_by: Any) -> Any:
    """`completed_by` is an int or an object with `id` (both appear in exports)."""
    if isinstance(completed_by, dict):
        return completed_by.get("id")
    return completed_by


def _item_id(task: dict[str, Any]) -> Any:
    return task.get("id")


def flatten_ls_annotation(
    ann: dict[str, Any], item: Any, pos: str, kind: str | None = None
) -> Iterator[Record]:
    """One record per result value (control tag, span) of a Label Studio annotation."""
    if kind is None:
        kind = "gold" if ann.get("ground_truth") else "annotation"
    if ann.get("was_cancelled"):
        yield Record(pos, kind="cancelled")
        return
    base = {
        "item_id": item,
        "annotator": _user_id(ann.get("completed_by")),
        "created_at": ann.get("updated_at") or ann.get("created_at"),
        "duration_s": ann.get("lead_time"),
        "external_id": ann.get("id"),
    }
    results = ann.get("result")
    if not isinstance(results, list):
        yield Record(pos, problem=("result", "missing or not a list"))
        return
    for k, res in enumerate(results, 1):
        where = f"{pos}, result {k}"
        if not isinstance(res, dict) or not isinstance(res.get("value"), dict):
            yield Record(where, problem=("result", "not an object with a 'value'"))
            continue
        value = res["value"]
        fields = dict(base, task=res.get("from_name"))
        if "start" in value and "end" in value:
            fields["span_start"], fields["span_end"] = value.get("start"), value.get("end")
        if "rating" in value:
            fields["label"] = value["rating"]
        elif "number" in value:
            fields["label"] = value["number"]
        else:
            rtype = res.get("type")
            key = rtype if isinstance(rtype, str) and rtype in value else None
            key = key or next((k2 for k2 in ("choices", "labels") if k2 in value), None)
            key = key or next((k2 for k2 in value if k2.endswith("labels")), None)
            if key is None:
                yield Record(where, problem=("value", f"no label in result of type {rtype!r}"))
                continue
            labels = value[key]
            fields["label"] = labels if not isinstance(labels, list) else _join(labels)
        yield Record(where, fields, kind)


def _join(labels: list[Any]) -> Any:
    """Multi-choice answers become one label 'a|b' (sorted); a single choice stays itself."""
    if len(labels) == 1:
        return labels[0]
    if not all(isinstance(x, str) for x in labels):
        return labels  # rejected by validation as not a string or number
    return "|".join(sorted(labels))


def read_label_studio(stream: BinaryIO) -> Iterator[Record]:
    """A Label Studio JSON export: a list of tasks, each with `annotations[]`."""
    try:
        for n, task in enumerate(iter_json_array(stream), 1):
            if not isinstance(task, dict):
                yield Record(f"record {n}", problem=("-", "task is not a JSON object"))
                continue
            item = _item_id(task)
            if "data" in task:  # the item's display data (rows.py keeps it only when asked)
                yield Record(f"record {n}", {"item_id": item, "data": task["data"]}, "item")
            anns = task.get("annotations") or []
            for ann in anns:
                if not isinstance(ann, dict):
                    yield Record(f"record {n}", problem=("annotations", "not an object"))
                    continue
                yield from flatten_ls_annotation(ann, item, f"record {n} (annotation {ann.get('id')})")
    except UnicodeDecodeError:
        yield Record("file", problem=("-", "not valid UTF-8"))
    except (ValueError, RecursionError) as exc:
        yield Record("file", problem=("-", _json_reason(exc)))


def read_records(stream: BinaryIO, fmt: str, kind: str = "annotations") -> Iterable[Record]:
    """Records of a file in the given format, for an import of `kind` (annotations, gold)."""
    if fmt == "csv":
        return read_csv(stream, kind)
    return {"jsonl": read_jsonl, "label-studio": read_label_studio}[fmt](stream)
