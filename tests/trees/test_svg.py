"""SVG through Graphviz's `dot`: real output, a clear error when `dot` is missing, fails or hangs."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import trees_render_cmd
from bot.cli.trees_render_cmd import parse_tree_ref
from bot.errors import ConfigError, InputError
from bot.jobs.trees_render import FORMATS, MISSING_DOT, GraphvizError, render_svg, render_tree
from guidelines.trees.model import Leaf, Option, Question, Tree
from guidelines.trees.render import to_dot, to_mermaid
from tests.support.tools import needs

SVG = "{http://www.w3.org/2000/svg}"
needs_dot = needs("dot", "graphviz")

HOSTILE = 'a "quote" \\ back <script>alert(1)</script> & ]]> --> end; |x| 😀'


def tree() -> Tree:
    return Tree(
        "t",
        HOSTILE,
        "",
        "q",
        (
            Question("q", HOSTILE, (Option(HOSTILE, "a"), Option("No", "b"))),
            Leaf("a", HOSTILE, "", "sec"),
            Leaf("b", "neutral", "", ""),
        ),
    )


def fake_dot(tmp_path: Path, body: str) -> Path:
    """A directory holding only a `dot` script with this body, to put on PATH."""
    exe = tmp_path / "dot"
    exe.write_text(body)
    exe.chmod(0o755)
    return tmp_path


@needs_dot
def test_svg_is_well_formed_with_every_text_intact() -> None:
    svg = render_tree(tree(), "svg")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") in ("node", "edge")]
    assert sum(g.get("class") == "node" for g in groups) == 3
    assert sum(g.get("class") == "edge" for g in groups) == 2
    texts = [t.text for t in root.iter(f"{SVG}text")]
    # the title, the question, the option and the leaf: each shows the text exactly, nothing executable
    assert texts.count(HOSTILE) == 4
    assert not list(root.iter(f"{SVG}script"))


def test_text_formats_are_the_pure_renderers() -> None:
    assert render_tree(tree(), "mermaid") == to_mermaid(tree())
    assert render_tree(tree(), "dot") == to_dot(tree())
    assert FORMATS == ("mermaid", "dot", "svg")


def test_unknown_format_is_input_error() -> None:
    with pytest.raises(InputError, match="--format: expected one of mermaid, dot, svg, got 'png'"):
        render_tree(tree(), "png")


def test_missing_dot_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError) as caught:
        render_svg("digraph {}")
    assert caught.value.message == MISSING_DOT
    assert "apt-get install graphviz" in str(caught.value)
    assert caught.value.exit_code == 2
    # mermaid and dot need no Graphviz at all
    assert render_tree(tree(), "dot").startswith("digraph")


@needs_dot
def test_invalid_dot_is_a_graphviz_error() -> None:
    with pytest.raises(GraphvizError, match=r"failed \(exit 1\): .*syntax error"):
        render_svg("digraph { n0 -> }")


def test_non_zero_exit_carries_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path, "#!/bin/sh\necho 'out of memory' >&2\nexit 3\n")))
    with pytest.raises(GraphvizError, match=r"^Graphviz's `dot` failed \(exit 3\): out of memory$"):
        render_svg("digraph {}")


def test_silent_failure_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path, "#!/bin/sh\nexit 1\n")))
    with pytest.raises(GraphvizError, match=r"\(exit 1\): no message$"):
        render_svg("digraph {}")


def test_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sleep = shutil.which("sleep")
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path, f"#!/bin/sh\nexec {sleep} 30\n")))
    with pytest.raises(GraphvizError, match=r"did not finish within 0.5 s"):
        render_svg("digraph {}", timeout=0.5)


def test_unrunnable_dot_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path, "#!/nonexistent/interpreter\n")))
    with pytest.raises(ConfigError, match="cannot run"):
        render_svg("digraph {}")


def test_errors_pickle() -> None:
    import pickle

    err = pickle.loads(pickle.dumps(GraphvizError("boom")))
    assert isinstance(err, GraphvizError) and err.message == "boom"


# --- the click shell (not registered in the `trees` group until the tree store is merged) -----------


@pytest.mark.parametrize(
    ("ref", "parsed"),
    [
        ("product-sentiment/sarcasm", ("product-sentiment", "sarcasm", None)),
        ("product-sentiment/sarcasm@1.1.0", ("product-sentiment", "sarcasm", "1.1.0")),
        (" a/b@1.0.0-rc.1 ", ("a", "b", "1.0.0-rc.1")),
    ],
)
def test_parse_tree_ref(ref: str, parsed: tuple[str, str, str | None]) -> None:
    assert parse_tree_ref(ref) == parsed


@pytest.mark.parametrize("ref", ["sarcasm", "a/b/c", "a/", "/b", "a/b@", "a/b@1@2", "a b/c", ""])
def test_parse_tree_ref_refuses(ref: str) -> None:
    with pytest.raises(InputError, match="expected SLUG/TREE or SLUG/TREE@VERSION"):
        parse_tree_ref(ref)


@pytest.fixture
def stored(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str | None]]:
    asked: list[tuple[str, str, str | None]] = []

    def fake(state: object, slug: str, tree_id: str, version: str | None) -> Tree:
        asked.append((slug, tree_id, version))
        return tree()

    monkeypatch.setattr(trees_render_cmd, "_stored_tree", fake)
    return asked


def test_cli_prints_mermaid_by_default(stored: list) -> None:
    result = CliRunner().invoke(trees_render_cmd.render, ["product-sentiment/sarcasm@1.0.0"], obj=object())
    assert result.exit_code == 0, result.output
    assert result.output == to_mermaid(tree())
    assert stored == [("product-sentiment", "sarcasm", "1.0.0")]


@needs_dot
def test_cli_writes_svg(stored: list, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "t.svg"
    result = CliRunner().invoke(
        trees_render_cmd.render, ["a/b", "--format", "svg", "--out", str(out)], obj=object()
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {out}\n"
    assert ET.fromstring(out.read_text(encoding="utf-8")).tag == f"{SVG}svg"


def test_cli_refuses_unknown_format(stored: list) -> None:
    result = CliRunner().invoke(trees_render_cmd.render, ["a/b", "--format", "png"], obj=object())
    assert result.exit_code == 2 and "'png' is not one of" in result.output
    assert stored == []
