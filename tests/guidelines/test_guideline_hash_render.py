"""Content hash behaviour and Markdown rendering of sections."""

from __future__ import annotations

from guidelines.errors import GuidelineError, GuidelineFormatError
from guidelines.parse import load_guideline, parse_guideline_text, render_markdown, section_markdown

TOML = 'slug = "t"\ntitle = "T"\nversion = "{version}"\nlabels = ["x", "y"]\nscale = "nominal"\n'
FILES = {"a.md": "# Rules\n\nText one.\n\n## Sub {#sub-rule}\n\nText two.\n", "b.md": "# More\n\nThree.\n"}


def doc(files: dict[str, str] = FILES, toml: str = TOML, version: str = "1.0.0", **kw: str):
    return parse_guideline_text(files, toml.format(version=version), **kw)


def test_hash_is_stable() -> None:
    first = doc().content_hash()
    assert first == doc().content_hash()
    assert len(first) == 64 and int(first, 16) >= 0


def test_hash_ignores_version_origin_and_line_endings(make_guideline) -> None:
    base = doc().content_hash()
    assert doc(version="9.9.9").content_hash() == base
    assert parse_guideline_text(FILES, TOML.format(version="1.0.0"), version="3.0.0").content_hash() == base
    assert doc(origin="elsewhere/v1").content_hash() == base
    crlf = {name: text.replace("\n", "\r\n") for name, text in FILES.items()}
    assert doc(crlf).content_hash() == base
    assert load_guideline(make_guideline(FILES, TOML.format(version="1.0.0"))).content_hash() == base


def test_hash_ignores_version_in_front_matter() -> None:
    def front(version: str) -> dict[str, str]:
        head = f"---\nslug: t\ntitle: T\nversion: {version}\nlabels: [x, y]\nscale: nominal\n---\n"
        return {"a.md": head + FILES["a.md"], "b.md": FILES["b.md"]}

    one = parse_guideline_text(front("1.0.0"), None)
    two = parse_guideline_text(front("1.1.0"), None)
    assert one.meta.version != two.meta.version
    assert one.content_hash() == two.content_hash()


def test_hash_changes_with_content() -> None:
    base = doc().content_hash()
    changed_body = {**FILES, "b.md": "# More\n\nThree!\n"}
    assert doc(changed_body).content_hash() != base
    assert doc(toml=TOML.replace('["x", "y"]', '["y", "x"]')).content_hash() != base
    assert doc(toml=TOML.replace('title = "T"', 'title = "T2"')).content_hash() != base
    reordered = TOML + 'files = ["b.md", "a.md"]\n'
    assert doc(toml=reordered).content_hash() != base
    renamed_file = {"a.md": FILES["a.md"], "c.md": FILES["b.md"]}
    assert doc(renamed_file).content_hash() != base


def test_section_markdown() -> None:
    d = doc()
    assert section_markdown(d.section("rules")) == "# Rules\n\nText one.\n"
    # The explicit anchor differs from the title's slug, so it is written back.
    assert section_markdown(d.section("sub-rule")) == "## Sub {#sub-rule}\n\nText two.\n"
    assert section_markdown(d.section("sub-rule"), level=4).startswith("#### Sub {#sub-rule}")
    assert render_markdown(d.section("more")) == "# More\n\nThree.\n"


def test_render_whole_version_round_trips() -> None:
    text = (
        "Setext *title*\n==============\n\nBody with `code` and [link](#escapes-1--2).\n\n"
        "## Escapes: \\*1\\* & \\[2\\] \\#\n\n```\n# fenced\n```\n\n"
        "### Explicit {#my-anchor}\n\n    indented code\n\n## Empty section\n\n## Last\n\nEnd.  \n"
    )
    original = doc({"r.md": text})
    rendered = render_markdown(original)
    again = parse_guideline_text({"r.md": rendered}, TOML.format(version="1.0.0"))
    assert [(s.anchor, s.title, s.level, s.body, s.path) for s in again.sections] == [
        (s.anchor, s.title, s.level, s.body, s.path) for s in original.sections
    ]
    assert original.section("escapes-1--2").title == "Escapes: *1* & [2] #"
    assert render_markdown(list(original.sections)) == rendered


def test_error_str_forms() -> None:
    assert str(GuidelineError("boom", "a/b.md", 3)) == "a/b.md:3: boom"
    assert str(GuidelineError("boom", "a/b.md")) == "a/b.md: boom"
    assert str(GuidelineError("boom")) == "boom"
    assert (
        str(GuidelineFormatError("first line\n  second line\n", "x.md", 1))
        == "x.md:1: first line second line"
    )
    error = GuidelineFormatError("boom", "a.md", 2)
    assert (error.message, error.file, error.line) == ("boom", "a.md", 2)


def test_errors_pickle_with_location() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(GuidelineFormatError("boom", "a.md", 7)))
    assert isinstance(error, GuidelineFormatError)
    assert str(error) == "a.md:7: boom"
