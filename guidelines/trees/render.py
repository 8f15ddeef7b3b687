r"""A decision tree as Mermaid (flowchart) or Graphviz DOT text, pure.

Node names in the output are generated (`n0`, `n1`, ... in breadth-first order from `start`, then any
unreachable node in file order), never the author's ids, so no id can be a keyword (`end`, `graph`,
`subgraph`) or carry syntax. Every text an author wrote (question, option, leaf label and anchor, title)
goes through `display_lines` and then through the one escaper of its language:

- Mermaid: each label is one double-quoted string holding only ASCII letters, digits, space and
  `.,?!'()-`, Mermaid entity codes (`#35;` for `#`, `#34;` for a quote, `#128512;` for an emoji, ...) and
  `<br>` for a line break. No quote, `|`, bracket, `;`, `:`, `%`, backtick or `<`/`>` of the author ever
  reaches the parser or the HTML label, and Mermaid's own entity placeholders cannot be forged. (The
  codes make non-ASCII text about eight times longer: a viewer's `maxTextSize`, 50,000 by default, may
  need raising for a large tree in another script.)
- DOT: each label is a double-quoted string (several, joined with `+`, past 2,000 characters: Graphviz
  2.43 refuses a quoted string over 16 KiB) with `\\` for a backslash, `\"` for a quote, `&amp;` for an
  ampersand (Graphviz decodes entities in plain labels) and `\n` between lines. Nothing else needs
  escaping inside a DOT string; record shapes, whose labels parse `|{}<>`, are not used.

A text shows as `display_lines(text)`: its lines (any Unicode line break; trailing empty ones dropped),
tabs as spaces, and other control characters and lone surrogates as U+FFFD, which neither language can
carry (Graphviz writes them raw into its JSON and SVG). An option's `next` that names no node is drawn as
a dashed "missing" node, so an invalid tree still renders and shows what is wrong.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from guidelines.trees.model import Leaf, Node, Question, Tree

REPLACEMENT = "\ufffd"
# A DOT quoted string is cut into pieces of at most this many characters; escaped, a character takes at
# most 5 bytes (`&amp;`), so a piece stays under Graphviz's 16,384-byte limit.
DOT_PIECE = 2000
# Control characters (C0 but the line breaks, DEL, C1) and lone surrogates, once lines are split.
_UNSHOWABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_MERMAID_SAFE = re.compile(r"[A-Za-z0-9 .,?!'()\-]")


def display_lines(text: str) -> list[str]:
    """The lines a label shows for `text`: split at line breaks, tabs as spaces, controls as U+FFFD."""
    lines = [_UNSHOWABLE.sub(REPLACEMENT, line.replace("\t", " ")) for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()  # trailing empty lines show nothing (Graphviz drops them too)
    return lines


@dataclass(frozen=True)
class DrawnNode:
    """A node as drawn: its generated name, kind and label lines."""

    name: str
    kind: str  # "question" | "leaf" | "missing"
    lines: tuple[str, ...]
    start: bool = False


@dataclass(frozen=True)
class DrawnEdge:
    """An option as drawn: from and to generated names, and its label lines."""

    source: str
    target: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Drawing:
    """What both renderers draw: nodes in output order, then edges in output order."""

    title: tuple[str, ...]
    nodes: tuple[DrawnNode, ...]
    edges: tuple[DrawnEdge, ...]


def _order(tree: Tree) -> list[Node]:
    """Nodes breadth-first from start (options in order), then the unreachable ones in file order."""
    seen: set[str] = set()
    out: list[Node] = []
    queue: deque[str] = deque([tree.start])
    while queue:
        node_id = queue.popleft()
        node = tree.node(node_id)
        if node_id in seen or node is None:
            continue
        seen.add(node_id)
        out.append(node)
        if isinstance(node, Question):
            queue.extend(o.next for o in node.options)
    # A duplicated id is drawn once per entry; edges go to the entry Tree.node returns (the last).
    drawn = {id(n) for n in out}
    out.extend(n for n in tree.nodes if id(n) not in drawn)
    return out


def _leaf_lines(leaf: Leaf) -> tuple[str, ...]:
    return (*display_lines(leaf.label), *(display_lines(f"§ {leaf.anchor}") if leaf.anchor else ()))


def drawing(tree: Tree) -> Drawing:
    """The tree laid out for drawing: generated names, label lines, one edge per option."""
    ordered = _order(tree)
    names = {id(n): f"n{i}" for i, n in enumerate(ordered)}
    nodes: list[DrawnNode] = []
    for n in ordered:
        lines = tuple(display_lines(n.text)) if isinstance(n, Question) else _leaf_lines(n)
        kind = "question" if isinstance(n, Question) else "leaf"
        nodes.append(DrawnNode(names[id(n)], kind, lines, start=n is tree.node(tree.start)))
    missing: dict[str, str] = {}
    edges: list[DrawnEdge] = []
    for n in ordered:
        if not isinstance(n, Question):
            continue
        for option in n.options:
            target = tree.node(option.next)
            if target is not None:
                to = names[id(target)]
            else:
                if option.next not in missing:
                    missing[option.next] = f"n{len(ordered) + len(missing)}"
                    lines = ("missing node:", *display_lines(option.next))
                    nodes.append(DrawnNode(missing[option.next], "missing", lines))
                to = missing[option.next]
            edges.append(DrawnEdge(names[id(n)], to, tuple(display_lines(option.text))))
    return Drawing(tuple(display_lines(tree.title)), tuple(nodes), tuple(edges))


# --- Mermaid ---------------------------------------------------------------------------------------

_MERMAID_SHAPES = {"question": ('{"', '"}'), "leaf": ('(["', '"])'), "missing": ('["', '"]')}


def mermaid_label(lines: tuple[str, ...] | list[str]) -> str:
    """The inside of a Mermaid quoted string: safe ASCII kept, everything else as `#N;`, lines by `<br>`."""
    text = "<br>".join(
        "".join(c if _MERMAID_SAFE.fullmatch(c) else f"#{ord(c)};" for c in line) for line in lines
    )
    # Mermaid has no empty quoted string (its lexer needs one character): an entity for a space.
    return text or "#32;"


def to_mermaid(tree: Tree) -> str:
    """A Mermaid `flowchart TD`: questions as decisions, leaves as stadiums, edges labelled by option."""
    d = drawing(tree)
    out = ["flowchart TD"]
    for n in d.nodes:
        left, right = _MERMAID_SHAPES[n.kind]
        out.append(f"    {n.name}{left}{mermaid_label(n.lines)}{right}")
    for e in d.edges:
        out.append(f'    {e.source} -->|"{mermaid_label(e.lines)}"| {e.target}')
    return "\n".join(out) + "\n"


# --- DOT -------------------------------------------------------------------------------------------


_DOT_ESCAPES = {"\\": "\\\\", '"': '\\"', "&": "&amp;"}


def dot_string(lines: tuple[str, ...] | list[str]) -> str:
    """A DOT label value: one quoted string (pieces joined with `+` when long), lines split by `\\n`."""
    escaped: list[str] = []
    for i, line in enumerate(lines):
        if i:
            escaped.append("\\n")
        escaped.extend(_DOT_ESCAPES.get(c, c) for c in line)
    pieces = ["".join(escaped[j : j + DOT_PIECE]) for j in range(0, len(escaped), DOT_PIECE)] or [""]
    return " + ".join(f'"{p}"' for p in pieces)


_DOT_SHAPES = {
    "question": 'shape=diamond, style="filled", fillcolor="#eef3fb"',
    "leaf": 'shape=box, style="rounded,filled", fillcolor="#e8f5e9"',
    "missing": 'shape=box, style="dashed", color="#c62828"',
}


def to_dot(tree: Tree) -> str:
    """A Graphviz digraph: questions as diamonds, leaves as rounded boxes, edges labelled by option."""
    d = drawing(tree)
    out = [
        "digraph tree {",
        f"    graph [label={dot_string(d.title)}, labelloc=t, fontname=Helvetica];",
        "    node [fontname=Helvetica];",
        "    edge [fontname=Helvetica];",
    ]
    for n in d.nodes:
        bold = ", penwidth=2" if n.start else ""
        out.append(f"    {n.name} [{_DOT_SHAPES[n.kind]}{bold}, label={dot_string(n.lines)}];")
    for e in d.edges:
        out.append(f"    {e.source} -> {e.target} [label={dot_string(e.lines)}];")
    out.append("}")
    return "\n".join(out) + "\n"
