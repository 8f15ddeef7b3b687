"""Anchors: GitHub-style slugs, explicit overrides, and their stability across versions."""

from __future__ import annotations

import pytest

from guidelines.anchors import is_valid_explicit_anchor, slugify, split_explicit_anchor
from guidelines.diff import diff_guidelines
from guidelines.parse import parse_guideline_text

TOML = 'slug = "t"\ntitle = "T"\nversion = "1.0.0"\nlabels = ["x"]\nscale = "nominal"\n'


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Sarcasm", "sarcasm"),
        ("Sarcasm and Irony", "sarcasm-and-irony"),
        ("Sarcasm & Irony", "sarcasm--irony"),  # GitHub keeps the double hyphen
        ("What's toxic?", "whats-toxic"),
        ("snake_case and kebab-case", "snake_case-and-kebab-case"),
        ("Rule 4.2 (v2)", "rule-42-v2"),
        ("Ünïcödé Überschrift", "ünïcödé-überschrift"),
        ("Ирония и сарказм", "ирония-и-сарказм"),
        ("日本語の見出し", "日本語の見出し"),
        ("हिन्दी नियम", "हिन्दी-नियम"),  # combining vowel signs are kept with their letters
        ("🎉 Party time 🎉", "party-time"),
        ("Thumbs 👍 up", "thumbs--up"),
        ("  padded  ", "padded"),
        ("🎉", ""),
        ("", ""),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Sarcasm {#irony}", ("Sarcasm", "irony")),
        ("Sarcasm{#irony}  ", ("Sarcasm", "irony")),
        ("Sarcasm", ("Sarcasm", None)),
        ("Sets \\{#x}", ("Sets \\{#x}", None)),
        ("Bad {#Not Valid}", ("Bad", "Not Valid")),
        ("{#only}", ("", "only")),
        ("Middle {#x} text", ("Middle {#x} text", None)),
    ],
)
def test_split_explicit_anchor(heading: str, expected: tuple[str, str | None]) -> None:
    assert split_explicit_anchor(heading) == expected


@pytest.mark.parametrize(
    ("anchor", "valid"),
    [
        ("irony", True),
        ("rule-4_2", True),
        ("4a", True),
        ("-x", False),
        ("_x", False),
        ("Irony", False),
        ("a b", False),
        ("", False),
        ("café", False),
    ],
)
def test_explicit_anchor_alphabet(anchor: str, valid: bool) -> None:
    assert is_valid_explicit_anchor(anchor) is valid


def test_explicit_anchor_survives_a_rename() -> None:
    old = parse_guideline_text({"r.md": "# Rules\n\nx\n\n## Sarcasm {#sarcasm-rule}\n\nSame body.\n"}, TOML)
    new = parse_guideline_text(
        {"r.md": "# Rules\n\nx\n\n## Sarcasm and irony {#sarcasm-rule}\n\nSame body.\n"},
        TOML,
        version="1.1.0",
    )
    assert old.sections[1].anchor == new.sections[1].anchor == "sarcasm-rule"
    assert new.sections[1].title == "Sarcasm and irony"
    diff = diff_guidelines("t", "1.0.0", old.sections, "1.1.0", new.sections)
    assert [(e.anchor, e.kind, e.old_title, e.new_title) for e in diff.entries] == [
        ("sarcasm-rule", "renamed", "Sarcasm", "Sarcasm and irony")
    ]


def test_without_explicit_anchor_a_rename_is_remove_plus_add() -> None:
    old = parse_guideline_text({"r.md": "# Rules\n\nx\n\n## Sarcasm\n\nBody.\n"}, TOML)
    new = parse_guideline_text({"r.md": "# Rules\n\nx\n\n## Irony\n\nBody.\n"}, TOML)
    diff = diff_guidelines("t", "1.0.0", old.sections, "1.1.0", new.sections)
    assert [(e.anchor, e.kind) for e in diff.entries] == [("irony", "added"), ("sarcasm", "removed")]


def test_unicode_and_emoji_headings_get_usable_anchors() -> None:
    doc = parse_guideline_text({"r.md": "# 🚫 Beleidigungen\n\nx\n\n## Ирония ✨\n\ny\n"}, TOML)
    assert [s.anchor for s in doc.sections] == ["beleidigungen", "ирония"]
    assert [s.title for s in doc.sections] == ["🚫 Beleidigungen", "Ирония ✨"]


def test_code_fence_headings_and_setext_headings() -> None:
    text = "Title\n=====\n\n~~~\n# fenced\n## also fenced\n~~~\n\n    # indented code\n\nSub\n---\n\nz\n"
    doc = parse_guideline_text({"r.md": text}, TOML)
    assert [(s.anchor, s.level, s.line) for s in doc.sections] == [("title", 1, 1), ("sub", 2, 11)]
    assert "# fenced" in doc.sections[0].body
    assert "    # indented code" in doc.sections[0].body
