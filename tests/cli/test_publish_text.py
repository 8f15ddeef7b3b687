"""Whatever text a guideline file holds, `guidelines publish` stores it exactly or refuses it (exit 2,
naming the file), never a traceback, never a half-written version; on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from tests.conftest import row_counts
from tests.support.guidelines import MINI_RULES, run_cli

_counter = itertools.count()
# Characters the rules single out, mixed into otherwise arbitrary text.
SPECIAL = st.sampled_from(
    ["\x00", "\x01", "\x02", "\x03", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\x9f", "\t", "\n", "\r",
     "\r\n", "\ufeff", "\u2028", "\ufffd", "#", "{#a}", "---", "*", "`", "<", "&", '"', "'", "\\", "😀"]
)  # fmt: skip
# Half the time text a user could mean (no control or surrogate), half the time anything goes.
PLAIN = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=12)
MIXED = st.lists(st.one_of(st.text(max_size=8), SPECIAL), max_size=6).map("".join)
TEXT = st.one_of(PLAIN, MIXED)
# Strings as they can come out of escapes: any code point, lone surrogates included (YAML "\ud800").
DECODED = st.one_of(
    PLAIN,
    st.lists(
        st.one_of(st.text(st.characters(codec=None), max_size=6), SPECIAL, st.just("\ud800")), max_size=5
    ).map("".join),
)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _toml_basic(value: str) -> str:
    """A TOML basic string: quote, backslash and control characters escaped, the rest as is."""
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ch == "\x7f" or 0xD800 <= ord(ch) <= 0xDFFF:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _yaml_quoted(value: str) -> str:
    """A YAML double-quoted string meaning `value` (a JSON string is one)."""
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        return json.dumps(value)  # a lone surrogate can only be written as an escape
    # Characters YAML reads as line breaks or a byte-order mark inside quotes are escaped, so the
    # file means exactly `value`; the rest is written as itself.
    text = json.dumps(value, ensure_ascii=False)
    for ch in ("\x85", "\u2028", "\u2029", "\ufeff"):
        text = text.replace(ch, f"\\u{ord(ch):04x}")
    return text


def _write(folder: Path, name: str, text: str) -> None:
    # surrogatepass: a lone surrogate becomes bytes that are not UTF-8, which must be refused too.
    (folder / name).write_bytes(text.encode("utf-8", "surrogatepass"))


def _normalised(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _publish(db_url: str, engine: Engine, folder: Path, slug: str) -> dict | None:
    """Publish; on exit 0 return `show --json`, on exit 2 check the refusal and return None."""
    before = row_counts(engine)
    result = run_cli(db_url, "guidelines", "publish", str(folder))  # catch_exceptions=False
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert len(lines) == 1, result.output
        assert lines[0].startswith(f"Error: {folder}/"), lines[0]  # names the file
        assert row_counts(engine) == before  # nothing half-written
        return None
    assert result.exit_code == 0, result.output
    shown = run_cli(db_url, "guidelines", "show", slug, "--json")
    assert shown.exit_code == 0, shown.output
    return json.loads(shown.output)


@SETTINGS
@given(title=TEXT, body=TEXT)
def test_any_markdown_text_is_stored_exactly_or_refused(
    db_url: str, engine: Engine, tmp_path: Path, title: str, body: str
) -> None:
    n = next(_counter)
    slug = f"md{n}"
    folder = tmp_path / slug
    folder.mkdir()
    toml = f'slug = "{slug}"\ntitle = "T"\nversion = "1.0.0"\nlabels = ["a", "b"]\nscale = "nominal"\n'
    _write(folder, "guideline.toml", toml)
    rules = f"# {title}\n\n{body}\n\n## Fixed\n\nSome text.\n"
    _write(folder, "rules.md", rules)
    shown = _publish(db_url, engine, folder, slug)
    if shown is not None:
        assert shown["markdown"] == _normalised(rules).rstrip("\n") + "\n"
        assert "fixed" in shown["sections"]


FIELDS = ("title", "literal title", "label", "changelog", "owner", "comment")


@SETTINGS
@given(field=st.sampled_from(FIELDS), text=DECODED)
def test_any_metadata_text_is_stored_exactly_or_refused(
    db_url: str, engine: Engine, tmp_path: Path, field: str, text: str
) -> None:
    n = next(_counter)
    slug = f"meta{n}"
    folder = tmp_path / slug
    folder.mkdir()
    values = {"title": '"T"', "label": '"b"', "changelog": '""', "owner": '"o"', "comment": ""}
    if field == "literal title":
        values["title"] = f"'{text}'"  # written raw into the file: no escapes
    elif field == "comment":
        values["comment"] = text
    else:
        values[field] = _toml_basic(text)  # escaped: what the escapes decode to reaches validation
    toml = (
        f'slug = "{slug}"\ntitle = {values["title"]}\nversion = "1.0.0"\n'
        f'labels = ["a", {values["label"]}]\nscale = "nominal"\nowners = [{values["owner"]}]\n'
        f"changelog = {values['changelog']}\n# {values['comment']}\n"
    )
    _write(folder, "guideline.toml", toml)
    _write(folder, "rules.md", MINI_RULES)
    shown = _publish(db_url, engine, folder, slug)
    if shown is None:
        return
    if field in ("title", "literal title"):
        assert shown["title"] == text
    elif field == "label":
        assert shown["labels"] == ["a", text]
    else:
        assert (shown["title"], shown["labels"]) == ("T", ["a", "b"])


@SETTINGS
@given(title=DECODED, owner=st.one_of(st.just("o"), DECODED))
def test_any_front_matter_text_is_stored_exactly_or_refused(
    db_url: str, engine: Engine, tmp_path: Path, title: str, owner: str
) -> None:
    n = next(_counter)
    slug = f"fm{n}"
    folder = tmp_path / slug
    folder.mkdir()
    front = (
        f"---\nslug: {slug}\ntitle: {_yaml_quoted(title)}\nversion: '1.0.0'\nlabels: [a, b]\n"
        f"scale: nominal\nowners: [{_yaml_quoted(owner)}]\n---\n"
    )
    _write(folder, "rules.md", front + MINI_RULES)
    shown = _publish(db_url, engine, folder, slug)
    if shown is not None:
        assert shown["title"] == title


TOML = 'slug = "mini"\ntitle = "Mini"\nversion = "1.0.0"\nlabels = ["a"]\nscale = "nominal"\n'
FRONT = '---\nslug: mini\ntitle: x\nversion: "1.0.0"\nlabels: [a]\nscale: nominal\n'
# case: (guideline.toml or None for front matter, rules.md, expected "file:line: message" start)
CONTROL_CASES = {
    "NUL in Markdown": (TOML, "# A\n\nok\n\nbad\x00here\n", "rules.md:5: control character U+0000"),
    "ESC in a heading": (TOML, "# A\x1b[31m\n\nok\n", "rules.md:1: control character U+001B"),
    "NUL raw in toml": (TOML + "# \x00\n", MINI_RULES, "guideline.toml:6: control character U+0000"),
    "NUL escaped in title": (
        TOML.replace('"Mini"', '"a\\u0000b"'), MINI_RULES, "guideline.toml:2: bad title: control character U+0000"
    ),
    "NUL escaped in changelog": (
        TOML + 'changelog = "a\\u0000b"\n', MINI_RULES, "guideline.toml:6: bad changelog: control character U+0000"
    ),
    "NUL escaped in files": (
        TOML + 'files = ["rules\\u0000.md"]\n', MINI_RULES, "guideline.toml:6: bad files: control character U+0000"
    ),
    "NUL escaped in a table": (
        TOML + '[extra]\nx = "\\u0000"\n', MINI_RULES, "guideline.toml:6: bad extra: control character U+0000"
    ),
    "lone surrogate in front matter": (
        None, FRONT.replace("title: x", 'title: "x\\ud800"') + "---\n# A\n\nok\n",
        "rules.md:3: bad title: U+D800 is a lone surrogate",
    ),
    "NUL escaped in a front matter owner": (
        None, FRONT + 'owners: ["\\0"]\n---\n# A\n\nok\n', "rules.md:7: bad owners: control character U+0000"
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CONTROL_CASES))
def test_control_characters_are_refused_with_file_and_line(
    db_url: str, engine: Engine, tmp_path: Path, case: str
) -> None:
    toml, rules, expected = CONTROL_CASES[case]
    folder = tmp_path / "g"
    folder.mkdir()
    if toml is not None:
        _write(folder, "guideline.toml", toml)
    _write(folder, "rules.md", rules)
    before = row_counts(engine)
    result = run_cli(db_url, "guidelines", "publish", str(folder))
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {folder}/{expected}"), result.output
    assert len(result.output.strip().splitlines()) == 1
    assert row_counts(engine) == before


def test_notes_and_undecodable_arguments_exit_2(db_url: str, engine: Engine, tmp_path: Path) -> None:
    from tests.support.guidelines import mini

    before = row_counts(engine)
    notes = run_cli(db_url, "guidelines", "publish", str(mini(tmp_path)), "--notes", "a\x00b")
    assert notes.exit_code == 2 and "--notes: control character U+0000" in notes.output
    for args in (
        ("guidelines", "search", "caf\udce9"),
        ("guidelines", "show", "mini\udcff"),
        ("projects", "add", "p\udcff", "--guideline", "mini"),
        ("guidelines", "publish", str(mini(tmp_path)), "--notes", "\udcff"),
    ):
        result = run_cli(db_url, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "is not valid UTF-8 (byte 0x" in result.output
    assert row_counts(engine) == before


@pytest.mark.parametrize(
    ("raw_name", "shown", "problem"),
    [
        (b"r\xff.md", "r\\xff.md", "file name is not UTF-8 (byte 0xFF)"),
        (b"r\x01.md", "r\\x01.md", "file name has control character U+0001"),
        (b"r\x1b[2J.md", "r\\x1b[2J.md", "file name has control character U+001B"),
    ],
)
def test_a_markdown_file_name_that_is_not_text_is_refused(
    db_url: str, engine: Engine, tmp_path: Path, raw_name: bytes, shown: str, problem: str
) -> None:
    folder = tmp_path / "g"
    folder.mkdir()
    _write(folder, "guideline.toml", TOML)
    _write(folder, "a.md", MINI_RULES)
    (folder / os.fsdecode(raw_name)).write_text("# Extra\n\nMore.\n", encoding="utf-8")
    before = row_counts(engine)
    result = run_cli(db_url, "guidelines", "publish", str(folder))
    assert result.exit_code == 2, result.output
    assert result.output == f"Error: {folder}/{shown}: {problem}: rename the file\n"
    assert row_counts(engine) == before
