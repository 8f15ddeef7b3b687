"""Reading and validating guideline metadata from `guideline.toml` or YAML front matter."""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import cast

import yaml

from guidelines.errors import GuidelineFormatError, VersionError
from guidelines.model import SCALES, GuidelineMeta, Scale
from guidelines.semver import parse_version

METADATA_FILE = "guideline.toml"
KNOWN_KEYS: tuple[str, ...] = (
    "slug",
    "title",
    "version",
    "labels",
    "scale",
    "owners",
    "effective_date",
    "changelog",
    "files",
    "label_sections",
)
REQUIRED_KEYS: tuple[str, ...] = ("slug", "title", "version", "labels", "scale")

_SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# Tab, newline and CR are ordinary text; every other C0/C1 control character is refused because
# renderers use some of them as private markers (see model.HL_START).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What an escape in a metadata string (TOML "\u0000", YAML "\0" or "\ud800") may decode to and
# no stored text may hold: those controls, and lone surrogates (not characters: neither UTF-8 nor
# PostgreSQL can store them).
DECODED_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_TOML_LINE_RE = re.compile(r"(?:line (\d+), column \d+|end of document)")
_FILE_NAME_RE = re.compile(r"[^/\\\s][^/\\]*\.md")


class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as strings.

    PyYAML raises a bare ValueError, without a line, for impossible dates such as 2024-02-30;
    as strings they reach the effective_date check, which reports them with their line.
    """


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class RawMetadata:
    """Metadata as read from its source, before validation, with a way to find each key's line."""

    data: Mapping[str, object]
    file: str  # display path of the file holding the metadata
    key_lines: Mapping[str, int]  # 1-based line of each key, for error messages
    first_line: int = 1  # where to report missing keys
    entry_lines: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (table key, entry) -> line

    def line(self, key: str) -> int:
        """Line of `key`, or the start of the metadata when the key is absent."""
        return self.key_lines.get(key, self.first_line)

    def entry_line(self, key: str, entry: str) -> int:
        """Line of one entry of the table `key` (a label of label_sections), else the table's line."""
        return self.entry_lines.get((key, entry), self.line(key))


def read_toml(text: str, file: str) -> RawMetadata:
    """Parse the text of guideline.toml."""
    check_control_chars(text, file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_LINE_RE.search(message)
        # tomllib only puts the position in its message text: "... (at line 2, column 5)".
        line = int(match.group(1)) if match and match.group(1) else text.count("\n") + 1
        message = re.sub(r"\s*\(at (?:line \d+, column \d+|end of document)\)", "", message)
        raise GuidelineFormatError(f"malformed {METADATA_FILE}: {message}", file, line) from exc
    entries = {
        (key, entry): line
        for key, value in data.items()
        if isinstance(value, dict)
        for entry, line in _toml_entry_lines(text, key, value).items()
    }
    raw = RawMetadata(data, file, {key: _toml_key_line(text, key) for key in data}, entry_lines=entries)
    check_decoded(raw)
    return raw


def _toml_entry_lines(text: str, table: str, value: Mapping[str, object]) -> dict[str, int]:
    """Line of each entry of a `[table]` section; entries of an inline table are all on its line."""
    lines = text.split("\n")
    header = re.compile(
        rf"""^\s*\[\s*(?:{re.escape(table)}|"{re.escape(table)}"|'{re.escape(table)}')\s*\]"""
    )
    start = next((n for n, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        return {}
    out: dict[str, int] = {}
    for number in range(start + 1, len(lines)):
        line = lines[number]
        if re.match(r"^\s*\[", line):
            break
        for entry in value:
            if entry not in out and re.match(
                rf"""^\s*(?:{re.escape(entry)}|"{re.escape(entry)}"|'{re.escape(entry)}')\s*=""", line
            ):
                out[entry] = number + 1
    return out


def _toml_key_line(text: str, key: str) -> int:
    """Line of a top-level key (or a table named after it) in TOML text; 1 if not found."""
    quoted = re.escape(key)
    pattern = re.compile(rf"""^\s*(?:\[\[?\s*)?(?:{quoted}|"{quoted}"|'{quoted}')\s*(?:=|\.|\]|$)""")
    for number, line in enumerate(text.split("\n"), start=1):
        if pattern.match(line):
            return number
    return 1


def split_front_matter(text: str, file: str) -> tuple[str | None, int]:
    """Return (YAML text, number of lines the block spans) when `text` opens with `---`."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, 0
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            return "\n".join(lines[1:index]), index + 1
    raise GuidelineFormatError("malformed front matter: the opening --- has no closing --- line", file, 1)


def read_front_matter(yaml_text: str, file: str) -> RawMetadata:
    """Parse YAML front matter whose opening `---` is line 1 of `file`."""
    offset = 2  # YAML line 0 is file line 2
    try:
        node = yaml.compose(yaml_text, Loader=_FrontMatterLoader)
        data = yaml.load(yaml_text, Loader=_FrontMatterLoader)  # safe: a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + offset if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise GuidelineFormatError(f"malformed front matter: {problem}", file, line) from exc
    if node is None:
        return RawMetadata({}, file, {})
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        raise GuidelineFormatError(
            "malformed front matter: expected key: value pairs", file, node.start_mark.line + offset
        )
    key_lines: dict[str, int] = {}
    entry_lines: dict[tuple[str, str], int] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + offset
        if isinstance(value_node, yaml.MappingNode):
            for entry_node, _ in value_node.value:
                entry_lines.setdefault((key, str(entry_node.value)), entry_node.start_mark.line + offset)
        # YAML quietly keeps the last of two equal keys; TOML refuses them, so do the same here.
        if key in key_lines:
            raise GuidelineFormatError(
                f'malformed front matter: duplicate key "{key}" (first at line {key_lines[key]})', file, line
            )
        key_lines[key] = line
    raw = RawMetadata({str(k): v for k, v in data.items()}, file, key_lines, entry_lines=entry_lines)
    check_decoded(raw)
    return raw


def check_decoded(raw: RawMetadata) -> None:
    """Refuse a key or string value, at any depth, that decodes to a control character or lone surrogate.

    The file's own text was checked already; this catches what escapes produce, for every key alike,
    before any message quotes the value.
    """
    for key, value in raw.data.items():
        for text in (key, *_strings(value)):
            match = DECODED_RE.search(text)
            if match is None:
                continue
            code = ord(match.group())
            name = key if DECODED_RE.search(key) is None else "key"
            if 0xD800 <= code <= 0xDFFF:
                problem = f"U+{code:04X} is a lone surrogate, not a character (write the character itself)"
            else:
                problem = f"control character U+{code:04X} in text"
            raise GuidelineFormatError(f"bad {name}: {problem}", raw.file, raw.line(key))


def _strings(value: object) -> list[str]:
    """Every string inside a parsed value (lists, tables and their keys included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


def check_control_chars(text: str, file: str, first_line: int = 1) -> None:
    """Refuse control characters other than tab, newline and CR."""
    match = CONTROL_RE.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + first_line
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        raise GuidelineFormatError(
            f"control character U+{ord(match.group()):04X} in text (column {column})", file, line
        )


def file_order(raw: RawMetadata) -> list[str] | None:
    """The `files` key as a list of Markdown file names, or None when it is absent."""
    if "files" not in raw.data:
        return None
    value = raw.data["files"]
    line = raw.line("files")
    if not isinstance(value, list) or not value:
        raise GuidelineFormatError(
            "bad files: expected a non-empty list of Markdown file names", raw.file, line
        )
    seen: set[str] = set()
    for name in value:
        if not isinstance(name, str) or not _FILE_NAME_RE.fullmatch(name):
            raise GuidelineFormatError(
                f"bad files: {name!r} is not a Markdown file name in the guideline folder (like rules.md)",
                raw.file,
                line,
            )
        if name in seen:
            raise GuidelineFormatError(f'bad files: "{name}" is listed twice', raw.file, line)
        seen.add(name)
    return list(value)


def validate_metadata(raw: RawMetadata, version: str | None = None) -> GuidelineMeta:
    """Check every key and build GuidelineMeta; `version`, when given, replaces the metadata's."""
    data, file = raw.data, raw.file

    def fail(key: str, message: str) -> GuidelineFormatError:
        return GuidelineFormatError(message, file, raw.line(key))

    for key in sorted(data, key=raw.line):
        if key not in KNOWN_KEYS:
            close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            raise fail(key, f'unknown key "{key}"{hint}')
    for key in REQUIRED_KEYS:
        if key not in data and not (key == "version" and version is not None):
            raise fail(key, f'missing required key "{key}"')

    slug = data["slug"]
    if not isinstance(slug, str) or not _SLUG_RE.fullmatch(slug):
        raise fail(
            "slug",
            f"bad slug {_show(slug)}: use 1-64 lowercase letters, digits and hyphens, "
            "starting with a letter or digit",
        )
    title = _text(data["title"], "title", fail, single_line=True)
    resolved_version = _version(data.get("version"), version, fail)
    scale = data["scale"]
    if scale not in SCALES:
        raise fail("scale", f"unknown scale {_show(scale)}: expected one of {', '.join(SCALES)}")
    labels = _labels(data["labels"], scale, fail)
    owners: tuple[str, ...] = ()
    if "owners" in data:
        value = data["owners"]
        if not isinstance(value, list):
            raise fail("owners", "bad owners: expected a list of names")
        owners = tuple(_text(o, "owners", fail, single_line=True) for o in value)
    effective = _date(data["effective_date"], fail) if "effective_date" in data else None
    changelog = _text(data["changelog"], "changelog", fail, allow_empty=True) if "changelog" in data else ""
    declared = _label_sections(raw, labels) if "label_sections" in data else ()
    return GuidelineMeta(
        slug=slug,
        title=title,
        version=resolved_version,
        labels=labels,
        scale=cast(Scale, scale),
        owners=owners,
        effective_date=effective,
        changelog=changelog,
        label_sections=declared,
    )


def _label_sections(raw: RawMetadata, labels: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The `label_sections` table (label -> anchor of the section defining it), in label order.

    Its anchors are checked against the sections later (guidelines.parse), where they are known.
    """
    value = raw.data["label_sections"]
    if not isinstance(value, Mapping) or not value:
        raise GuidelineFormatError(
            'bad label_sections: expected a table of label = "anchor" (e.g. Negative = "negative")',
            raw.file,
            raw.line("label_sections"),
        )
    found: dict[str, str] = {}
    for label, anchor in value.items():
        line = raw.entry_line("label_sections", str(label))
        if label not in labels:
            close = difflib.get_close_matches(str(label), labels, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else f" (the labels: {', '.join(labels)})"
            raise GuidelineFormatError(
                f'bad label_sections: "{label}" is not one of the labels{hint}', raw.file, line
            )
        if not isinstance(anchor, str) or not anchor.strip():
            raise GuidelineFormatError(
                f'bad label_sections: "{label}" must name a section anchor as a string, got {_show(anchor)}',
                raw.file,
                line,
            )
        found[str(label)] = anchor.strip().removeprefix("#")
    return tuple((label, found[label]) for label in labels if label in found)


Fail = Callable[[str, str], GuidelineFormatError]


def _show(value: object) -> str:
    """A value as written in an error message."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, date):
        return value.isoformat()
    return repr(value)


def _text(
    value: object, key: str, fail: Fail, *, single_line: bool = False, allow_empty: bool = False
) -> str:
    """A string value with no control characters."""
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise fail(key, f"bad {key}: expected a non-empty string, got {_show(value)}")
    if single_line and ("\n" in value or "\r" in value):
        raise fail(key, f"bad {key}: must be a single line")
    match = CONTROL_RE.search(value)
    if match:
        raise fail(key, f"bad {key}: control character U+{ord(match.group()):04X} in text")
    return value


def _version(from_metadata: object, override: str | None, fail: Fail) -> str:
    if override is not None:
        # The command line wins; the metadata's value is ignored, as it may be what is being fixed.
        try:
            return str(parse_version(override))
        except VersionError as exc:
            raise GuidelineFormatError(f"{exc.message} (given on the command line)") from exc
    if not isinstance(from_metadata, str):
        raise fail("version", f'bad version {_show(from_metadata)}: expected a quoted string like "1.0.0"')
    try:
        return str(parse_version(from_metadata))
    except VersionError as exc:
        raise fail("version", exc.message) from exc


def _labels(value: object, scale: str, fail: Fail) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise fail("labels", "bad labels: expected a non-empty list of strings")
    labels: list[str] = []
    numbers: dict[float, str] = {}
    for label in value:
        if not isinstance(label, str):
            hint = ' (quote numbers: "1")' if isinstance(label, int | float) else ""
            raise fail("labels", f"bad labels: {label!r} is not a string{hint}")
        if not label.strip():
            raise fail("labels", "bad labels: a label is empty")
        if CONTROL_RE.search(label) or "\n" in label:
            raise fail("labels", f"bad labels: {label!r} contains a control character or line break")
        if label in labels:
            raise fail("labels", f'bad labels: "{label}" is listed twice')
        if scale == "interval":
            if not _NUMBER_RE.fullmatch(label.strip()) or not math.isfinite(float(label)):
                raise fail("labels", f'bad labels: "{label}" is not a number, and the scale is interval')
            number = float(label)
            if number in numbers:
                raise fail("labels", f'bad labels: "{label}" is the same number as "{numbers[number]}"')
            numbers[number] = label
        labels.append(label)
    return tuple(labels)


def _date(value: object, fail: Fail) -> date:
    # TOML turns a bare 2024-05-01 into a date; quoted ones and front matter values are strings.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE_RE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass  # a well-formed but impossible date such as 2024-02-30 falls through to the error
    raise fail("effective_date", f"bad effective_date {_show(value)}: expected a date as YYYY-MM-DD")
