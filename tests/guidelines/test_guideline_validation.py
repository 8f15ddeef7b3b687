"""Every validation error of the guideline format: message, file and line."""

from __future__ import annotations

import pytest

from guidelines.errors import GuidelineError, GuidelineFormatError
from guidelines.parse import MAX_FILE_BYTES

# Same values as the make_guideline fixture's defaults (conftest.py).
DEFAULT_TOML = """\
slug = "toxicity"
title = "Toxicity"
version = "1.0.0"
labels = ["toxic", "not-toxic"]
scale = "nominal"
"""
F = "g/toxicity/v1.0.0"
OK = "# Rules\n\nSome text.\n"


def toml_with(**changes: str | None) -> str:
    """DEFAULT_TOML with keys replaced (raw TOML values) or removed (None)."""
    lines = []
    for line in DEFAULT_TOML.splitlines():
        key = line.split("=", 1)[0].strip()
        if key in changes:
            if changes[key] is not None:
                lines.append(f"{key} = {changes[key]}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


FRONT = """\
---
slug: toxicity
title: Toxicity
version: 1.0.0
labels: [toxic, not-toxic]
scale: nominal
---
"""

# (id, files, toml, cli version, expected str(error))
CASES: list[tuple[str, dict[str, str | bytes], str | None, str | None, str]] = [
    (
        "malformed-toml",
        {"rules.md": OK},
        'slug = "toxicity"\ntitle = \n',
        None,
        f"{F}/guideline.toml:2: malformed guideline.toml: Invalid value",
    ),
    (
        "unclosed-toml-string",
        {"rules.md": OK},
        'slug = "toxicity\n',
        None,
        f"{F}/guideline.toml:1: malformed guideline.toml: Illegal character '\\n'",
    ),
    (
        "malformed-front-matter",
        {"rules.md": "---\nslug: [a\ntitle: x\n---\n" + OK},
        None,
        None,
        f"{F}/rules.md:3: malformed front matter: expected ',' or ']', but got ':'",
    ),
    (
        "unclosed-front-matter",
        {"rules.md": "---\nslug: x\n" + OK},
        None,
        None,
        f"{F}/rules.md:1: malformed front matter: the opening --- has no closing --- line",
    ),
    (
        "front-matter-not-mapping",
        {"rules.md": "---\n- a\n- b\n---\n" + OK},
        None,
        None,
        f"{F}/rules.md:2: malformed front matter: expected key: value pairs",
    ),
    (
        "front-matter-duplicate-key",
        {"rules.md": FRONT.replace("scale: nominal\n", "scale: nominal\ntitle: Again\n") + OK},
        None,
        None,
        f'{F}/rules.md:7: malformed front matter: duplicate key "title" (first at line 3)',
    ),
    (
        "unknown-key-with-hint",
        {"rules.md": OK},
        DEFAULT_TOML + 'lables = ["a"]\n',
        None,
        f'{F}/guideline.toml:6: unknown key "lables" (did you mean "labels"?)',
    ),
    (
        "unknown-key-front-matter",
        {"rules.md": FRONT.replace("---\n", "---\ncolour: red\n", 1) + OK},
        None,
        None,
        f'{F}/rules.md:2: unknown key "colour"',
    ),
    (
        "missing-labels",
        {"rules.md": OK},
        toml_with(labels=None),
        None,
        f'{F}/guideline.toml:1: missing required key "labels"',
    ),
    (
        "missing-version",
        {"rules.md": OK},
        toml_with(version=None),
        None,
        f'{F}/guideline.toml:1: missing required key "version"',
    ),
    (
        "missing-slug-front-matter",
        {"rules.md": FRONT.replace("slug: toxicity\n", "") + OK},
        None,
        None,
        f'{F}/rules.md:1: missing required key "slug"',
    ),
    (
        "bad-slug",
        {"rules.md": OK},
        toml_with(slug='"Toxicity_v2"'),
        None,
        f'{F}/guideline.toml:1: bad slug "Toxicity_v2": use 1-64 lowercase letters, digits and hyphens, '
        "starting with a letter or digit",
    ),
    (
        "slug-too-long",
        {"rules.md": OK},
        toml_with(slug='"' + "a" * 65 + '"'),
        None,
        f'{F}/guideline.toml:1: bad slug "{"a" * 65}": use 1-64 lowercase letters, digits and hyphens, '
        "starting with a letter or digit",
    ),
    (
        "empty-title",
        {"rules.md": OK},
        toml_with(title='"  "'),
        None,
        f'{F}/guideline.toml:2: bad title: expected a non-empty string, got "  "',
    ),
    (
        "control-char-in-title",
        {"rules.md": OK},
        toml_with(title='"Tox\\u0002icity"'),
        None,
        f"{F}/guideline.toml:2: bad title: control character U+0002 in text",
    ),
    (
        "unknown-scale",
        {"rules.md": OK},
        toml_with(scale='"ratio"'),
        None,
        f'{F}/guideline.toml:5: unknown scale "ratio": expected one of nominal, ordinal, interval',
    ),
    (
        "labels-empty",
        {"rules.md": OK},
        toml_with(labels="[]"),
        None,
        f"{F}/guideline.toml:4: bad labels: expected a non-empty list of strings",
    ),
    (
        "labels-not-list",
        {"rules.md": OK},
        toml_with(labels='"toxic"'),
        None,
        f"{F}/guideline.toml:4: bad labels: expected a non-empty list of strings",
    ),
    (
        "labels-duplicate",
        {"rules.md": OK},
        toml_with(labels='["toxic", "ok", "toxic"]'),
        None,
        f'{F}/guideline.toml:4: bad labels: "toxic" is listed twice',
    ),
    (
        "labels-blank",
        {"rules.md": OK},
        toml_with(labels='["toxic", " "]'),
        None,
        f"{F}/guideline.toml:4: bad labels: a label is empty",
    ),
    (
        "labels-not-strings",
        {"rules.md": OK},
        toml_with(labels="[1, 2]"),
        None,
        f'{F}/guideline.toml:4: bad labels: 1 is not a string (quote numbers: "1")',
    ),
    (
        "interval-label-not-number",
        {"rules.md": OK},
        toml_with(labels='["1", "2", "lots"]', scale='"interval"'),
        None,
        f'{F}/guideline.toml:4: bad labels: "lots" is not a number, and the scale is interval',
    ),
    (
        "interval-label-nan",
        {"rules.md": OK},
        toml_with(labels='["1", "nan"]', scale='"interval"'),
        None,
        f'{F}/guideline.toml:4: bad labels: "nan" is not a number, and the scale is interval',
    ),
    (
        "interval-label-same-number",
        {"rules.md": OK},
        toml_with(labels='["1", "2", "1.0"]', scale='"interval"'),
        None,
        f'{F}/guideline.toml:4: bad labels: "1.0" is the same number as "1"',
    ),
    (
        "bad-version",
        {"rules.md": OK},
        toml_with(version='"1.0"'),
        None,
        f'{F}/guideline.toml:3: bad version "1.0": expected MAJOR.MINOR.PATCH with an optional '
        "-prerelease, e.g. 1.0.0 or 2.1.0-rc.1",
    ),
    (
        "version-with-v",
        {"rules.md": OK},
        toml_with(version='"v1.0.0"'),
        None,
        f'{F}/guideline.toml:3: bad version "v1.0.0": write it without the leading v (1.0.0)',
    ),
    (
        "version-unquoted-yaml",
        {"rules.md": FRONT.replace("version: 1.0.0", "version: 1.0") + OK},
        None,
        None,
        f'{F}/rules.md:4: bad version 1.0: expected a quoted string like "1.0.0"',
    ),
    (
        "version-from-command-line",
        {"rules.md": OK},
        DEFAULT_TOML,
        "2.0",
        'bad version "2.0": expected MAJOR.MINOR.PATCH with an optional -prerelease, '
        "e.g. 1.0.0 or 2.1.0-rc.1 (given on the command line)",
    ),
    (
        "owners-not-list",
        {"rules.md": OK},
        DEFAULT_TOML + 'owners = "ana"\n',
        None,
        f"{F}/guideline.toml:6: bad owners: expected a list of names",
    ),
    (
        "bad-effective-date",
        {"rules.md": OK},
        DEFAULT_TOML + 'effective_date = "05/01/2024"\n',
        None,
        f'{F}/guideline.toml:6: bad effective_date "05/01/2024": expected a date as YYYY-MM-DD',
    ),
    (
        "impossible-effective-date",
        {"rules.md": OK},
        DEFAULT_TOML + 'effective_date = "2024-02-30"\n',
        None,
        f'{F}/guideline.toml:6: bad effective_date "2024-02-30": expected a date as YYYY-MM-DD',
    ),
    (
        "impossible-date-in-front-matter",
        {"rules.md": FRONT.replace("scale: nominal\n", "scale: nominal\neffective_date: 2024-13-01\n") + OK},
        None,
        None,
        f'{F}/rules.md:7: bad effective_date "2024-13-01": expected a date as YYYY-MM-DD',
    ),
    (
        "datetime-effective-date",
        {"rules.md": OK},
        DEFAULT_TOML + "effective_date = 2024-05-01T10:00:00\n",
        None,
        f"{F}/guideline.toml:6: bad effective_date 2024-05-01T10:00:00: expected a date as YYYY-MM-DD",
    ),
    (
        "files-missing",
        {"rules.md": OK},
        DEFAULT_TOML + 'files = ["rules.md", "examples.md"]\n',
        None,
        f'{F}/guideline.toml:6: bad files: "examples.md" does not exist',
    ),
    (
        "files-duplicate",
        {"rules.md": OK},
        DEFAULT_TOML + 'files = ["rules.md", "rules.md"]\n',
        None,
        f'{F}/guideline.toml:6: bad files: "rules.md" is listed twice',
    ),
    (
        "files-not-markdown",
        {"rules.md": OK},
        DEFAULT_TOML + 'files = ["sub/rules.md"]\n',
        None,
        f"{F}/guideline.toml:6: bad files: 'sub/rules.md' is not a Markdown file name in the guideline "
        "folder (like rules.md)",
    ),
    (
        "files-omits-front-matter-file",
        {"a.md": FRONT.replace("scale: nominal\n", "scale: nominal\nfiles: [b.md]\n") + OK, "b.md": OK},
        None,
        None,
        f'{F}/a.md:7: bad files: "a.md" holds the front matter, so it must be listed',
    ),
    (
        "toml-and-front-matter",
        {"rules.md": FRONT + OK},
        DEFAULT_TOML,
        None,
        f"{F}/rules.md:1: front matter is not allowed: the metadata is already in guideline.toml; keep one",
    ),
    (
        "front-matter-not-first-file",
        {"a.md": FRONT + OK, "b.md": "---\ntitle: B\n---\n# B\n\nText.\n"},
        None,
        None,
        f"{F}/b.md:1: front matter is only allowed at the top of the first Markdown file (a.md)",
    ),
    (
        "no-metadata",
        {"rules.md": OK},
        None,
        None,
        f"{F}/rules.md:1: no metadata: add guideline.toml, or YAML front matter (--- ... ---) "
        "at the top of rules.md",
    ),
    (
        "duplicate-anchor-across-files",
        {"a.md": "# Intro\n\nx\n\n## Sarcasm\n\ny\n", "b.md": "# More\n\nz\n\n\n## Sarcasm\n\nw\n"},
        DEFAULT_TOML,
        None,
        f'{F}/b.md:6: duplicate anchor "sarcasm" (first used at {F}/a.md:5)',
    ),
    (
        "duplicate-explicit-anchor",
        {"rules.md": "# Irony {#sarcasm}\n\nx\n\n# Sarcasm\n\ny\n"},
        DEFAULT_TOML,
        None,
        f'{F}/rules.md:5: duplicate anchor "sarcasm" (first used at {F}/rules.md:1)',
    ),
    (
        "bad-explicit-anchor",
        {"rules.md": "# Rules\n\nx\n\n## Irony {#Irony Rule}\n\ny\n"},
        DEFAULT_TOML,
        None,
        f'{F}/rules.md:5: bad explicit anchor "{{#Irony Rule}}": use lowercase letters, digits, "-" '
        'and "_", starting with a letter or digit',
    ),
    (
        "heading-without-text",
        {"rules.md": "# Rules\n\nx\n\n##\n\ny\n"},
        DEFAULT_TOML,
        None,
        f"{F}/rules.md:5: heading has no text",
    ),
    (
        "heading-emoji-only",
        {"rules.md": "# Rules\n\nx\n\n## 🎉\n\ny\n"},
        DEFAULT_TOML,
        None,
        f'{F}/rules.md:5: heading "🎉" has no letters or digits to make an anchor from; '
        "add an explicit one: 🎉 {#some-name}",
    ),
    (
        "dangling-local-link",
        {"rules.md": "# Rules\n\nSee\n[irony](#irony) too.\n"},
        DEFAULT_TOML,
        None,
        f'{F}/rules.md:4: dangling anchor link "#irony": no section has anchor "irony"',
    ),
    (
        "dangling-file-link",
        {"a.md": "# A\n\nx\n", "b.md": "# B\n\n- item\n- see [a](a.md#nope)\n"},
        DEFAULT_TOML,
        None,
        f'{F}/b.md:4: dangling anchor link "a.md#nope": a.md has no section with anchor "nope"',
    ),
    (
        "link-to-anchor-in-other-file",
        {"a.md": "# A\n\nx\n", "b.md": "# B\n\nsee [b](a.md#b)\n"},
        DEFAULT_TOML,
        None,
        f'{F}/b.md:3: dangling anchor link "a.md#b": a.md has no section with anchor "b" (it is in {F}/b.md)',
    ),
    (
        "link-to-unknown-file",
        {"a.md": "# A\n\nsee [c](c.md#a)\n"},
        DEFAULT_TOML,
        None,
        f'{F}/a.md:3: dangling anchor link "c.md#a": c.md is not a file of this guideline',
    ),
    (
        "text-before-first-heading",
        {"rules.md": "\n\nIntro text\n# Rules\n\nx\n"},
        DEFAULT_TOML,
        None,
        f"{F}/rules.md:3: text before the first heading: every file must start with a heading",
    ),
    (
        "text-after-front-matter-before-heading",
        {"rules.md": FRONT + "\nHello\n\n" + OK},
        None,
        None,
        f"{F}/rules.md:9: text before the first heading: every file must start with a heading",
    ),
    (
        "no-markdown-files",
        {},
        DEFAULT_TOML,
        None,
        f"{F}/guideline.toml:1: empty document: no Markdown files",
    ),
    (
        "no-markdown-files-no-toml",
        {"notes.txt": "hello"},
        None,
        None,
        f"{F}: empty document: no Markdown files",
    ),
    (
        "no-text",
        {"a.md": "# A\n\n## B\n", "b.md": "\n\n"},
        DEFAULT_TOML,
        None,
        f"{F}/a.md:1: empty document: no section has any text",
    ),
    (
        "not-utf8",
        {"rules.md": b"# Rules\n\nok\ncaf\xe9\n"},
        DEFAULT_TOML,
        None,
        f"{F}/rules.md:4: not UTF-8: byte 0xE9 cannot be decoded; save the file as UTF-8",
    ),
    (
        "control-character",
        {"rules.md": "# Rules\n\nbell\x07here\n"},
        DEFAULT_TOML,
        None,
        f"{F}/rules.md:3: control character U+0007 in text (column 5)",
    ),
    (
        "control-character-in-front-matter",
        {"rules.md": FRONT.replace("title: Toxicity", "title: Tox\x1bicity") + OK},
        None,
        None,
        f"{F}/rules.md:3: control character U+001B in text (column 11)",
    ),
]


@pytest.mark.parametrize(
    ("files", "toml", "version", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_validation_error(load_error, files, toml, version, expected: str) -> None:
    error = load_error(files, toml, version)
    assert isinstance(error, GuidelineFormatError)
    assert str(error) == expected


def test_error_carries_file_and_line(load_error) -> None:
    error = load_error({"rules.md": "# Rules\n\n[x](#nope)\n"})
    assert (error.file, error.line) == (f"{F}/rules.md", 3)
    assert error.message == 'dangling anchor link "#nope": no section has anchor "nope"'


def test_file_over_two_megabytes(load_error) -> None:
    line = "x" * 99 + "\n"  # 100 bytes
    text = "# Rules\n\n" + line * (MAX_FILE_BYTES // 100 + 1)
    assert len(text.encode()) > MAX_FILE_BYTES
    error = load_error({"rules.md": text})
    assert error.file == f"{F}/rules.md"
    # The limit is crossed on the line holding byte 2 MiB + 1: 2 header lines plus full 100-byte lines.
    assert error.line == 2 + (MAX_FILE_BYTES - 9) // 100 + 1
    assert error.message == (
        f"file is too large: {len(text.encode())} bytes, the limit is 2 MB ({MAX_FILE_BYTES} bytes)"
    )


def test_file_of_exactly_two_megabytes_is_accepted(make_guideline) -> None:
    from guidelines.parse import load_guideline

    head = "# Rules\n\n"
    text = head + "x" * (MAX_FILE_BYTES - len(head))
    assert len(text.encode()) == MAX_FILE_BYTES
    doc = load_guideline(make_guideline({"rules.md": text}))
    assert len(doc.sections[0].body) == MAX_FILE_BYTES - len(head)


def test_missing_folder(make_guideline) -> None:
    from pathlib import Path

    from guidelines.parse import load_guideline

    with pytest.raises(GuidelineError) as info:
        load_guideline(Path("no/such/folder"))
    assert str(info.value) == "no/such/folder: not a guideline folder: no such directory"


def test_version_on_command_line_replaces_missing_or_bad_metadata_version(make_guideline) -> None:
    from guidelines.parse import load_guideline

    folder = make_guideline({"rules.md": OK}, toml_with(version='"not-a-version"'))
    assert load_guideline(folder, "2.0.0-rc.1").meta.version == "2.0.0-rc.1"
    folder = make_guideline({"rules.md": OK}, toml_with(version=None), folder="g/other/v2")
    assert load_guideline(folder, "2.0.0").meta.version == "2.0.0"
