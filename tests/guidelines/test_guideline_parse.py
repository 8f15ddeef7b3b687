"""Parsing guideline folders: sections, bodies, anchors, links, metadata, file order."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from guidelines.parse import load_guideline, parse_guideline_text

RULES = """\
# Toxicity rules

Label a message **toxic** when it attacks a person.

```markdown
# Not a heading: inside a code fence
```

## Insults {#insults}

Direct insults are toxic.<2 spaces>
Trailing spaces above are a hard break and must survive.

Sarcasm and irony
-----------------

Read the [insults rule](#insults) first.

### Edge cases

> # Quoted heading
> stays inside the quote.

- a list
  # heading in a list item

Setext title
============

Last body.
""".replace("<2 spaces>", "  ")


def test_sections_have_anchor_title_level_path_line(make_guideline) -> None:
    doc = load_guideline(make_guideline({"rules.md": RULES}))
    got = [(s.anchor, s.title, s.level, s.path, s.line, s.position, s.file) for s in doc.sections]
    assert got == [
        ("toxicity-rules", "Toxicity rules", 1, ("Toxicity rules",), 1, 0, "rules.md"),
        ("insults", "Insults", 2, ("Toxicity rules", "Insults"), 9, 1, "rules.md"),
        (
            "sarcasm-and-irony",
            "Sarcasm and irony",
            2,
            ("Toxicity rules", "Sarcasm and irony"),
            14,
            2,
            "rules.md",
        ),
        (
            "edge-cases",
            "Edge cases",
            3,
            ("Toxicity rules", "Sarcasm and irony", "Edge cases"),
            19,
            3,
            "rules.md",
        ),
        ("setext-title", "Setext title", 1, ("Setext title",), 27, 4, "rules.md"),
    ]
    assert doc.sections[3].path_text == "Toxicity rules › Sarcasm and irony › Edge cases"


def test_bodies_are_exact_source_lines(make_guideline) -> None:
    doc = load_guideline(make_guideline({"rules.md": RULES}))
    assert doc.section("toxicity-rules").body == (
        "Label a message **toxic** when it attacks a person.\n\n"
        "```markdown\n# Not a heading: inside a code fence\n```"
    )
    assert doc.section("insults").body == (
        "Direct insults are toxic.  \nTrailing spaces above are a hard break and must survive."
    )
    # Headings nested in a quote or a list item are body text, not sections.
    assert doc.section("edge-cases").body == (
        "> # Quoted heading\n> stays inside the quote.\n\n- a list\n  # heading in a list item"
    )
    assert doc.section("setext-title").body == "Last body."


def test_heading_markup_is_dropped_from_title(make_guideline) -> None:
    text = "# Use *sarcasm* `tags` and [links](#use-sarcasm-tags-and-links)\n\nBody.\n"
    doc = load_guideline(make_guideline({"rules.md": text}))
    assert doc.sections[0].title == "Use sarcasm tags and links"
    assert doc.sections[0].anchor == "use-sarcasm-tags-and-links"


def test_escaped_brace_is_not_an_explicit_anchor(make_guideline) -> None:
    doc = load_guideline(make_guideline({"rules.md": "# Sets \\{#x\\}\n\nBody.\n"}))
    assert doc.sections[0].title == "Sets {#x}"
    assert doc.sections[0].anchor == "sets-x"


def test_metadata_from_toml(make_guideline) -> None:
    toml = """\
slug = "sentiment"
title = "Sentiment"
version = "2.1.0-rc.1"
labels = ["negative", "neutral", "positive"]
scale = "ordinal"
owners = ["ana", "bo"]
effective_date = 2024-05-01
changelog = "Neutral now covers mixed messages."
"""
    doc = load_guideline(make_guideline({"rules.md": RULES}, toml))
    meta = doc.meta
    assert (meta.slug, meta.title, meta.version, meta.scale) == (
        "sentiment",
        "Sentiment",
        "2.1.0-rc.1",
        "ordinal",
    )
    assert meta.labels == ("negative", "neutral", "positive")
    assert meta.owners == ("ana", "bo")
    assert meta.effective_date == date(2024, 5, 1)
    assert meta.changelog == "Neutral now covers mixed messages."


def test_interval_labels_must_be_numbers_and_keep_order(make_guideline) -> None:
    toml = (
        'slug = "s"\ntitle = "S"\nversion = "1.0.0"\nlabels = ["1", "2.5", "-3", "1e2"]\nscale = "interval"\n'
    )
    doc = load_guideline(make_guideline({"rules.md": RULES}, toml))
    assert doc.meta.labels == ("1", "2.5", "-3", "1e2")


def test_front_matter_metadata_and_line_numbers(make_guideline) -> None:
    text = (
        "---\nslug: toxicity\ntitle: Toxicity\nversion: 1.2.3\nlabels: [toxic, ok]\nscale: nominal\n"
        "effective_date: 2024-06-30\nowners: [ana]\n---\n\n# Rules\n\nText.\n"
    )
    doc = load_guideline(make_guideline({"a.md": text, "b.md": "# More\n\nMore text.\n"}, toml=None))
    assert doc.meta.version == "1.2.3"
    assert doc.meta.effective_date == date(2024, 6, 30)
    assert doc.meta.owners == ("ana",)
    assert [(s.file, s.line) for s in doc.sections] == [("a.md", 11), ("b.md", 1)]
    # The front matter is metadata, not content: it is not part of the stored file text.
    assert doc.files[0].text == "\n# Rules\n\nText.\n"


def test_default_file_order_is_by_name_and_files_key_overrides(make_guideline) -> None:
    files = {"b.md": "# Bee\n\nb\n", "a.md": "# Ay\n\na\n", ".#a.md": "lock file", "notes.txt": "x"}
    doc = load_guideline(make_guideline(files))
    assert [f.path for f in doc.files] == ["a.md", "b.md"]
    assert [s.anchor for s in doc.sections] == ["ay", "bee"]
    assert [s.position for s in doc.sections] == [0, 1]

    toml = 'slug = "t"\ntitle = "T"\nversion = "1.0.0"\nlabels = ["x"]\nscale = "nominal"\nfiles = ["b.md"]\n'
    doc = load_guideline(make_guideline(files, toml, folder="g/t/v1"))
    assert [f.path for f in doc.files] == ["b.md"]
    assert [s.anchor for s in doc.sections] == ["bee"]


def test_section_path_restarts_in_each_file(make_guideline) -> None:
    doc = load_guideline(make_guideline({"a.md": "# A\n\nx\n", "b.md": "## B\n\ny\n"}))
    assert doc.section("b").path == ("B",)


def test_version_argument_overrides_metadata(make_guideline) -> None:
    folder = make_guideline({"rules.md": RULES})
    assert load_guideline(folder).meta.version == "1.0.0"
    assert load_guideline(folder, "1.1.0").meta.version == "1.1.0"


def test_links_within_and_across_files(make_guideline) -> None:
    a = (
        "# Intro\n\nSee [insults](b.md#insults), [again](./b.md#insults),\n"
        "[ref] and [café](#café-rules) and [web](https://example.com/x#y)\n"
        "and [mail](mailto:x@example.com) and [plain file](b.md) and [self](#intro).\n\n"
        "[ref]: #irony\n\n## Café rules\n\nText.\n"
    )
    b = "# Insults\n\nBack to [the intro](a.md#intro).\n\n## Irony {#irony}\n\nText.\n"
    doc = load_guideline(make_guideline({"a.md": a, "b.md": b}))
    assert doc.section("intro").links == ("insults", "irony", "café-rules", "intro")
    assert doc.section("insults").links == ("intro",)
    assert doc.section("irony").links == ()


def test_link_in_heading_belongs_to_that_section(make_guideline) -> None:
    doc = load_guideline(make_guideline({"a.md": "# A\n\nx\n\n## See [A](#a)\n\ny\n"}))
    assert doc.section("see-a").links == ("a",)


def test_crlf_and_bom_are_normalised(make_guideline) -> None:
    text = "\ufeff# Rules\r\n\r\nLine one.\r\nLine two.\r\n"
    doc = load_guideline(make_guideline({"rules.md": text}))
    assert doc.sections[0].body == "Line one.\nLine two."
    assert doc.files[0].text == "# Rules\n\nLine one.\nLine two.\n"


def test_tabs_are_allowed(make_guideline) -> None:
    doc = load_guideline(make_guideline({"rules.md": "# Rules\n\nA\tB\n"}))
    assert doc.sections[0].body == "A\tB"


def test_parse_guideline_text_matches_load(make_guideline) -> None:
    toml = 'slug = "t"\ntitle = "T"\nversion = "1.0.0"\nlabels = ["x"]\nscale = "nominal"\n'
    files = {"b.md": "# Bee\n\nb\n", "a.md": "# Ay\n\na\n"}
    from_memory = parse_guideline_text(files, toml)
    from_disk = load_guideline(make_guideline(files, toml))
    assert from_memory == from_disk
    assert [s.file for s in from_memory.sections] == ["a.md", "b.md"]


def test_error_paths_use_the_folder_as_given(make_guideline, tmp_path: Path) -> None:
    import pytest

    from guidelines.errors import GuidelineFormatError

    folder = make_guideline({"rules.md": "# A\n\n[x](#y)\n"})
    with pytest.raises(GuidelineFormatError) as relative:
        load_guideline(folder)
    assert relative.value.file == "g/toxicity/v1.0.0/rules.md"
    with pytest.raises(GuidelineFormatError) as absolute:
        load_guideline(tmp_path / folder)
    assert absolute.value.file == str(tmp_path / "g/toxicity/v1.0.0/rules.md")
    with pytest.raises(GuidelineFormatError) as in_memory:
        parse_guideline_text(
            {"rules.md": "# A\n\n[x](#y)\n"},
            'slug="a"\ntitle="A"\nversion="1.0.0"\nlabels=["x"]\nscale="nominal"\n',
            origin="src/a",
        )
    assert str(in_memory.value).startswith("src/a/rules.md:3: dangling anchor link")
