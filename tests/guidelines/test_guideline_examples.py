"""The shipped examples load, diff as documented and render back; the format doc's example is valid."""

from __future__ import annotations

import json
from itertools import groupby
from pathlib import Path

import pytest

from guidelines.diff import diff_guidelines
from guidelines.parse import load_guideline, parse_guideline_text, render_markdown

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "guidelines"
EXPECTED = EXAMPLES / "EXPECTED_DIFFS.json"

needs_examples = pytest.mark.skipif(not EXPECTED.is_file(), reason="example guidelines not present")


def _expected() -> dict[str, dict[str, list[str]]]:
    return json.loads(EXPECTED.read_text(encoding="utf-8")) if EXPECTED.is_file() else {}


@needs_examples
@pytest.mark.parametrize("slug", sorted(_expected()))
def test_example_diff_matches_expected(slug: str) -> None:
    old = load_guideline(EXAMPLES / slug / "v1.0.0")
    new = load_guideline(EXAMPLES / slug / "v1.1.0")
    diff = diff_guidelines(
        slug, old.meta.version, old.sections, new.meta.version, new.sections, old.meta, new.meta
    )
    expected = _expected()[slug]
    assert {kind: diff.anchors(kind) for kind in expected} == expected
    assert len(diff.entries) == sum(len(v) for v in expected.values())


@needs_examples
@pytest.mark.parametrize("folder", sorted(EXAMPLES.glob("*/v*")), ids=lambda p: f"{p.parent.name}@{p.name}")
def test_example_renders_back_to_the_same_sections(folder: Path) -> None:
    doc = load_guideline(folder)
    files = {
        name: render_markdown(list(group)) for name, group in groupby(doc.sections, key=lambda s: s.file)
    }
    again = parse_guideline_text(files, (folder / "guideline.toml").read_text(encoding="utf-8"))

    def shape(d):
        return [(s.anchor, s.title, s.level, s.path, s.body, s.links, s.aliases) for s in d.sections]

    assert shape(again) == shape(doc)


FORMAT_DOC = Path(__file__).resolve().parents[2] / "docs" / "guidelines-format.md"


def test_format_doc_example_is_valid() -> None:
    import re

    text = FORMAT_DOC.read_text(encoding="utf-8")
    example = text[text.index("## A complete example") : text.index("## Folder layout")]
    blocks = dict(re.findall(r"^`([\w.-]+)`:\n\n```\w+\n(.*?)^```$", example, re.M | re.S))
    assert sorted(blocks) == ["01-overview.md", "02-rules.md", "guideline.toml"]
    toml = blocks.pop("guideline.toml")
    doc = parse_guideline_text(blocks, toml)
    assert [s.anchor for s in doc.sections] == [
        "overview",
        "who-labels-what",
        "rules",
        "insults",
        "sarcasm-rule",
    ]
    assert doc.section("overview").links == ("insults", "sarcasm-rule")
