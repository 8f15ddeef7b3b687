"""Section aliases: the `Aliases:` line, each refusal with its file and line, rendering back, diffs."""

from __future__ import annotations

from pathlib import Path

import pytest

from guidelines.diff import diff_guidelines
from guidelines.errors import GuidelineFormatError
from guidelines.parse import load_guideline, parse_guideline_text, render_markdown

TOML = 'slug = "t"\ntitle = "T"\nversion = "1.0.0"\nlabels = ["a", "b"]\nscale = "nominal"\n'
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "guidelines"


def _doc(rules: str, more: dict[str, str] | None = None):
    return parse_guideline_text({"rules.md": rules, **(more or {})}, TOML, origin="g/t")


def _error(rules: str, more: dict[str, str] | None = None) -> str:
    with pytest.raises(GuidelineFormatError) as info:
        _doc(rules, more)
    return str(info.value)


def test_aliases_line_under_the_heading_is_the_sections_not_its_body() -> None:
    doc = _doc("# Rules\n\n## Sarcasm\nAliases: snark,  sarcastic   praise\n\nSarcasm is [a rule](#rules).\n")
    sarcasm = doc.section("sarcasm")
    assert sarcasm.aliases == ("snark", "sarcastic praise")  # spacing normalised, order kept
    assert sarcasm.body == "Sarcasm is [a rule](#rules)."
    assert sarcasm.links == ("rules",)
    assert doc.section("rules").aliases == ()


@pytest.mark.parametrize(
    "line",
    ["aliases: snark", "ALIASES : snark", "   Aliases:snark"],
)
def test_prefix_is_any_case_with_up_to_three_spaces(line: str) -> None:
    assert _doc(f"# Rules\n\n## Sarcasm\n\n{line}\n\nBody.\n").section("sarcasm").aliases == ("snark",)


def test_a_long_list_may_wrap_after_a_comma() -> None:
    doc = _doc("# Rules\n\n## Sarcasm\n\nAliases: snark,\n  sarcastic praise,\nirony\n\nBody.\n")
    assert doc.section("sarcasm").aliases == ("snark", "sarcastic praise", "irony")


@pytest.mark.parametrize(
    "text",
    [
        "    Aliases: code",  # indented code
        "Text first.\n\nAliases: later",  # not the first paragraph
        "- Aliases: in a list",  # a list item
        "> Aliases: quoted",  # a quote
        "The Aliases: mid-sentence",  # does not start the paragraph
    ],
)
def test_only_a_first_top_level_paragraph_declares_aliases(text: str) -> None:
    doc = _doc(f"# Rules\n\n## Sarcasm\n\n{text}\n")
    assert doc.section("sarcasm").aliases == ()
    assert "Aliases:" in doc.section("sarcasm").body


def test_a_link_written_in_an_alias_is_not_checked_or_cited() -> None:
    doc = _doc("# Rules\n\n## Sarcasm\n\nAliases: [x](#nowhere)\n\nBody.\n")
    assert doc.section("sarcasm").aliases == ("[x](#nowhere)",) and doc.section("sarcasm").links == ()


# Each refusal names the file and the line of the alias at fault.
REFUSALS = [
    ("Aliases:", 5, "empty Aliases line"),
    ("Aliases:   \t", 5, "empty Aliases line"),
    ("Aliases: snark,, irony", 5, "empty alias: two commas in a row"),
    ("Aliases: snark,", 5, "empty alias"),
    ("Aliases: , snark", 5, "empty alias"),
    ("Aliases: snark,\n\n", 5, "empty alias"),
    ("Aliases: snark\nirony", 5, 'alias "snark irony" is split over two lines'),
    ("Aliases: snark,\nsarcastic\npraise", 6, 'alias "sarcastic praise" is split over two lines'),
    ("Aliases: " + "x" * 61, 5, "too long: 61 characters, at most 60"),
    ("Aliases: ok, 🎉", 5, 'alias "🎉" has no letters or digits'),
    ("Aliases: ---", 5, 'alias "---" has no letters or digits'),
    ("Aliases: snark,\nSNARK", 6, 'alias "SNARK" is listed twice for this section (first at line 5)'),
    ("Aliases: snark, sarcastic  praise, Sarcastic praise", 5, "listed twice"),
    ("Aliases: sarcasm", 5, "is the section's own title"),
    ("Aliases: " + ", ".join(f"w{i}" for i in range(11)), 5, "too many aliases: 11, at most 10"),
    ("Aliases: overview", 5, 'alias "overview" is the title of section "rules" (g/t/rules.md:1)'),
    ("Aliases: emoticons", 5, 'alias "emoticons" is also an alias of section "emoji" (g/t/a.md:3)'),
    ("Aliases: snark\n---", 5, 'heading "Aliases: snark" looks like an Aliases line'),
]


@pytest.mark.parametrize(("text", "line", "message"), REFUSALS, ids=[r[2][:40] for r in REFUSALS])
def test_each_refusal_names_file_and_line(text: str, line: int, message: str) -> None:
    other = {"a.md": "# Emoji\n\nAliases: Emoticons\n\nRead the words.\n"}
    rules = f"# Overview {{#rules}}\n\n## Sarcasm\n\n{text}\n\nBody.\n"
    got = _error(rules, other)
    assert got.startswith(f"g/t/rules.md:{line}: ") or got.startswith(f"g/t/a.md:{line}: "), got
    assert message in got, got


def test_the_second_of_two_equal_aliases_is_the_one_reported() -> None:
    # In document order: the first section keeps the alias, the later copy is the error.
    got = _error("# Rules\n\nAliases: x\n\n## Sarcasm\n\nAliases: y,\n  X\n\nBody.\n", {})
    assert got == (
        'g/t/rules.md:8: alias "X" is also an alias of section "rules" (g/t/rules.md:3): '
        "an alias must name one section"
    )


def test_a_control_character_in_an_alias_is_refused_with_its_line() -> None:
    assert _error("# Rules\n\n## Sarcasm\n\nAliases: sn\x07ark\n").startswith(
        "g/t/rules.md:5: control character U+0007"
    )


def test_aliases_render_back_to_the_same_sections() -> None:
    doc = _doc(
        "# Rules\n\n## Sarcasm {#sarcasm}\nAliases: snark, ironic\n\nBody.\n\n## Empty\n\nAliases: void\n"
    )
    again = parse_guideline_text({"rules.md": render_markdown(doc)}, TOML)
    assert [(s.anchor, s.aliases, s.body) for s in again.sections] == [
        (s.anchor, s.aliases, s.body) for s in doc.sections
    ]
    assert "## Sarcasm\n\nAliases: snark, ironic\n\nBody.\n" in render_markdown(doc)


def test_aliases_are_content_an_edit_changes_the_hash() -> None:
    one = _doc("# Rules\n\nAliases: x\n\nBody.\n")
    two = _doc("# Rules\n\nAliases: y\n\nBody.\n")
    assert one.content_hash() != two.content_hash()


def test_diff_reports_alias_changes_as_a_change_of_the_section() -> None:
    old = _doc("# Rules\n\nBody.\n\n## Sarcasm\n\nAliases: snark, irony\n\nSame.\n")
    new = _doc(
        "# Rules\n\nAliases: rulebook\n\nBody.\n\n## Sarcasm\n\nAliases: snark, Sarcastic praise\n\nSame.\n"
    )
    diff = diff_guidelines("t", "1.0.0", old.sections, "1.1.0", new.sections)
    assert [(e.anchor, e.kind, e.aliases_added, e.aliases_removed, e.unified_diff) for e in diff.entries] == [
        ("rules", "changed", ("rulebook",), (), ""),
        ("sarcasm", "changed", ("Sarcastic praise",), ("irony",), ""),
    ]
    renamed = _doc("# Rules\n\nBody.\n\n## Irony {#sarcasm}\n\nAliases: snark\n\nSame.\n")
    [entry] = diff_guidelines("t", "1.0.0", old.sections, "1.1.0", renamed.sections).entries
    assert (entry.kind, entry.aliases_added, entry.aliases_removed) == ("renamed", (), ("irony",))


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="example guidelines not present")
@pytest.mark.parametrize("slug", ["contract-ner", "product-sentiment", "query-relevance"])
def test_examples_declare_aliases_in_the_newest_version_only(slug: str) -> None:
    old = load_guideline(EXAMPLES / slug / "v1.0.0")
    new = load_guideline(EXAMPLES / slug / "v1.1.0")
    assert not any(s.aliases for s in old.sections)
    aliased = {s.anchor: s.aliases for s in new.sections if s.aliases}
    assert len(aliased) >= 4
    diff = diff_guidelines(slug, "1.0.0", old.sections, "1.1.0", new.sections)
    # Every alias shows up in the version diff, as added to its section.
    assert {e.anchor: e.aliases_added for e in diff.entries if e.aliases_added} == {
        a: al for a, al in aliased.items() if old.section(a) is not None
    }


def test_an_alias_weighs_like_a_title_only_when_the_query_has_all_its_words() -> None:
    from guidelines.search.ranking import CorpusStats, alias_stems, bm25f, stems

    corpus = CorpusStats(100, (2.0, 2.0, 20.0))
    df = {"content": 5, "farm": 5, "snark": 1}
    title, body = stems("Spam pages"), stems("Spam pages exist to attract traffic.")
    field = alias_stems(["content farm", "snark", "the"])  # "the" alone has no searchable word
    assert field == ["content", "farm", ",", "snark"]

    def score(query: str, aliases: list[str]) -> float:
        return bm25f([title, [], body, aliases], stems(query), df, corpus)

    assert score("farm animals", field) == score("farm animals", [])  # half an alias is no alias
    assert score("content farm", field) > score("content farm", [])
    # A matched alias counts as the same word in a title of average length.
    assert bm25f([[], [], [], ["snark"]], ["snark"], df, corpus) == bm25f(
        [["snark", "x"], [], [], []], ["snark"], df, corpus
    )
