"""Mermaid and DOT renderings of a decision tree: golden outputs, and arbitrary text in every field never
breaks out of a label (DOT checked by the real Graphviz, Mermaid by a strict structural reader)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from guidelines.trees.model import Leaf, Option, Question, Tree
from guidelines.trees.render import display_lines, dot_string, mermaid_label, to_dot, to_mermaid
from tests.support.tools import needs

DOT = shutil.which("dot")
needs_dot = needs("dot", "graphviz")


def small_tree() -> Tree:
    return Tree(
        id="sarcasm",
        title='Sarcasm: "hard" cases',
        description="Praise that may not mean it.",
        start="literal",
        nodes=(
            Leaf("pos", "positive", "Sincere praise.", "positive-sentiment"),
            Question(
                "literal",
                "Is the praise meant\nliterally?",
                (Option("Yes | sure", "pos"), Option("No; it's ironic -->", "end")),
                help="Read the whole review.",
            ),
            Question(
                "end", "Is there a <b>complaint</b> & a joke?", (Option("Yes", "neg"), Option("No", "neu"))
            ),
            Leaf("neg", "negative", "Irony over a complaint.", "sarcasm"),
            Leaf("neu", "neutral", "Just a joke.", ""),
        ),
        slug="product-sentiment",
        version="1.0.0",
    )


GOLDEN_MERMAID = """\
flowchart TD
    n0{"Is the praise meant<br>literally?"}
    n1(["positive<br>#167; positive-sentiment"])
    n2{"Is there a #60;b#62;complaint#60;#47;b#62; #38; a joke?"}
    n3(["negative<br>#167; sarcasm"])
    n4(["neutral"])
    n0 -->|"Yes #124; sure"| n1
    n0 -->|"No#59; it's ironic --#62;"| n2
    n2 -->|"Yes"| n3
    n2 -->|"No"| n4
"""

GOLDEN_DOT = """\
digraph tree {
    graph [label="Sarcasm: \\"hard\\" cases", labelloc=t, fontname=Helvetica];
    node [fontname=Helvetica];
    edge [fontname=Helvetica];
    n0 [shape=diamond, style="filled", fillcolor="#eef3fb", penwidth=2, label="Is the praise meant\\nliterally?"];
    n1 [shape=box, style="rounded,filled", fillcolor="#e8f5e9", label="positive\\n§ positive-sentiment"];
    n2 [shape=diamond, style="filled", fillcolor="#eef3fb", label="Is there a <b>complaint</b> &amp; a joke?"];
    n3 [shape=box, style="rounded,filled", fillcolor="#e8f5e9", label="negative\\n§ sarcasm"];
    n4 [shape=box, style="rounded,filled", fillcolor="#e8f5e9", label="neutral"];
    n0 -> n1 [label="Yes | sure"];
    n0 -> n2 [label="No; it's ironic -->"];
    n2 -> n3 [label="Yes"];
    n2 -> n4 [label="No"];
}
"""


def test_mermaid_golden() -> None:
    assert to_mermaid(small_tree()) == GOLDEN_MERMAID


def test_dot_golden() -> None:
    assert to_dot(small_tree()) == GOLDEN_DOT


def test_generated_names_never_user_ids() -> None:
    out = to_mermaid(small_tree()) + to_dot(small_tree())
    # "end" is a Mermaid keyword and an author's id here: it may appear only inside a label's text.
    assert not re.search(r"^\s*end\b", out, re.M)
    assert "literal[" not in out and "literal{" not in out


def test_unreachable_and_missing_nodes_are_drawn() -> None:
    tree = Tree(
        "t",
        "T",
        "",
        "q",
        (
            Question("q", "Q?", (Option("a", "ghost"), Option("b", "ghost"))),
            Leaf("orphan", "x", "", "s"),
        ),
    )
    mermaid = to_mermaid(tree)
    assert mermaid.splitlines()[1:] == [
        '    n0{"Q?"}',
        '    n1(["x<br>#167; s"])',
        '    n2["missing node#58;<br>ghost"]',
        '    n0 -->|"a"| n2',
        '    n0 -->|"b"| n2',
    ]
    assert 'n2 [shape=box, style="dashed"' in to_dot(tree)


def test_display_lines() -> None:
    assert display_lines("a\r\nb\u2028c\n") == ["a", "b", "c"]
    assert display_lines("x\ty\x00z\x1b\x85") == ["x y\ufffdz\ufffd"]
    assert display_lines("") == []


def test_empty_labels_stay_valid() -> None:
    assert mermaid_label([]) == "#32;"
    assert dot_string([]) == '""'
    assert dot_string(["", ""]) == '"\\n"'


def test_long_dot_labels_are_cut_into_pieces() -> None:
    out = dot_string(["&" * 4500])
    assert out.count('" + "') == 2
    assert all(len(p.encode()) < 16384 for p in out.split(" + "))


# --- arbitrary text everywhere ---------------------------------------------------------------------

texts = st.text(max_size=25)
ids = st.text(max_size=6)


@st.composite
def trees(draw: st.DrawFn) -> Tree:
    node_ids = draw(st.lists(ids, min_size=2, max_size=7, unique=True))
    n_questions = draw(st.integers(1, len(node_ids) - 1))
    targets = st.one_of(st.sampled_from(node_ids), ids)  # sometimes a node that does not exist
    nodes: list[Question | Leaf] = []
    for qid in node_ids[:n_questions]:
        options = draw(st.lists(st.builds(Option, text=texts, next=targets), min_size=2, max_size=3))
        nodes.append(Question(qid, draw(texts), tuple(options), help=draw(texts)))
    for lid in node_ids[n_questions:]:
        nodes.append(Leaf(lid, draw(texts), draw(texts), draw(texts)))
    start = draw(st.one_of(st.sampled_from(node_ids), ids))
    return Tree(draw(ids), draw(texts), draw(texts), start, tuple(draw(st.permutations(nodes))))


def node_lines(tree: Tree, node_id: str) -> tuple[str, ...]:
    """What the node with this id must show, computed from the tree (not from the renderer)."""
    node = tree.node(node_id)
    if node is None:
        return ("missing node:", *display_lines(node_id))
    if isinstance(node, Question):
        return tuple(display_lines(node.text))
    anchor = display_lines("§ " + node.anchor) if node.anchor else []
    return (*display_lines(node.label), *anchor)


def expected(tree: Tree) -> tuple[Counter, Counter]:
    """Multisets of node labels and of (from label, to label, option label) edges."""
    nodes: Counter = Counter()
    edges: Counter = Counter()
    missing: set[str] = set()
    for n in tree.nodes:
        nodes[node_lines(tree, n.id) if tree.node(n.id) is n else _own_lines(n)] += 1
        if isinstance(n, Question):
            for o in n.options:
                if tree.node(o.next) is None and o.next not in missing:
                    missing.add(o.next)
                    nodes[node_lines(tree, o.next)] += 1
                edges[(_own_lines(n), node_lines(tree, o.next), tuple(display_lines(o.text)))] += 1
    return nodes, edges


def _own_lines(n: Question | Leaf) -> tuple[str, ...]:
    if isinstance(n, Question):
        return tuple(display_lines(n.text))
    return (*display_lines(n.label), *(display_lines("§ " + n.anchor) if n.anchor else []))


def test_expected_matches_golden_counts() -> None:
    nodes, edges = expected(small_tree())
    assert sum(nodes.values()) == 5 and sum(edges.values()) == 4


# Mermaid: a strict reader of exactly the syntax to_mermaid may produce.
_LABEL = r"(?:[A-Za-z0-9 .,?!'()\-]|#\d+;|<br>)+"
_NODE = re.compile(rf'^    (n\d+)(?:\{{"({_LABEL})"\}}|\(\["({_LABEL})"\]\)|\["({_LABEL})"\])$')
_EDGE = re.compile(rf'^    (n\d+) -->\|"({_LABEL})"\| (n\d+)$')


def read_mermaid_label(text: str) -> tuple[str, ...]:
    if text == "#32;":
        return ()
    decoded = re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), text.replace("<br>", "\n"))
    return tuple(decoded.split("\n"))


@settings(max_examples=300, deadline=None)
@given(trees())
def test_mermaid_structure_holds_for_any_text(tree: Tree) -> None:
    lines = to_mermaid(tree).split("\n")
    assert lines[-1] == ""  # one final newline
    lines = lines[:-1]
    want_nodes, want_edges = expected(tree)
    assert lines[0] == "flowchart TD"
    assert len(lines) == 1 + sum(want_nodes.values()) + sum(want_edges.values())
    labels: dict[str, tuple[str, ...]] = {}
    body = lines[1:]
    for line in body[: sum(want_nodes.values())]:
        m = _NODE.match(line)
        assert m, line
        assert m.group(1) not in labels
        labels[m.group(1)] = read_mermaid_label(next(g for g in m.groups()[1:] if g is not None))
    got_edges: Counter = Counter()
    for line in body[sum(want_nodes.values()) :]:
        m = _EDGE.match(line)
        assert m, line
        got_edges[(labels[m.group(1)], labels[m.group(3)], read_mermaid_label(m.group(2)))] += 1
    assert Counter(labels.values()) == want_nodes
    assert got_edges == want_edges


def _decode_dot_attr(value: str) -> str:
    """Graphviz's reading of a plain label we wrote: `\\\\`, `\\n` escapes, then the `&amp;` entity."""
    return re.sub(r"\\\\|\\n|&amp;", lambda m: {"\\\\": "\\", "\\n": "\n", "&amp;": "&"}[m.group()], value)


def _shown(obj: dict) -> tuple[str, ...]:
    return tuple(op["text"] for op in obj.get("_ldraw_", []) if op["op"] == "T")


@needs_dot
@settings(max_examples=60, deadline=None)
@given(trees())
def test_dot_parses_with_graphviz_for_any_text(tree: Tree) -> None:
    proc = subprocess.run(
        [DOT, "-Tjson"], input=to_dot(tree).encode(), capture_output=True, timeout=30, check=False
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    graph = json.loads(proc.stdout)
    want_nodes, want_edges = expected(tree)
    objects = graph.get("objects", [])
    assert len(objects) == sum(want_nodes.values())
    assert len(graph.get("edges", [])) == sum(want_edges.values())
    labels: dict[int, tuple[str, ...]] = {}
    for obj in objects:
        assert re.fullmatch(r"n\d+", obj["name"])
        lines = tuple(_decode_dot_attr(obj["label"]).split("\n")) if obj["label"] else ()
        assert _shown(obj) == tuple(x for x in lines if x)  # Graphviz draws no empty line
        labels[obj["_gvid"]] = lines
    got_edges: Counter = Counter()
    for edge in graph.get("edges", []):
        lines = tuple(_decode_dot_attr(edge["label"]).split("\n")) if edge.get("label") else ()
        assert _shown(edge) == tuple(x for x in lines if x)
        got_edges[(labels[edge["tail"]], labels[edge["head"]], lines)] += 1
    assert Counter(labels.values()) == want_nodes
    assert got_edges == want_edges
    title = tuple(display_lines(tree.title))
    assert _shown(graph) == tuple(x for x in title if x)


@needs_dot
def test_huge_label_renders() -> None:
    tree = Tree(
        "t",
        "T",
        "",
        "q",
        (Question("q", '"&\\' * 9000, (Option("a", "l"), Option("b", "l"))), Leaf("l", "x", "", "")),
    )
    proc = subprocess.run(
        [DOT, "-Tjson"], input=to_dot(tree).encode(), capture_output=True, timeout=30, check=False
    )
    assert proc.returncode == 0, proc.stderr
    shown = _shown(json.loads(proc.stdout)["objects"][0])
    assert shown == ('"&\\' * 9000,)
