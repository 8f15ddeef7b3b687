"""A Tree as canonical JSON and back, exactly (lines included): how the store keeps a published tree.

The YAML source is stored too (it is the version's content); the JSON is what readers rebuild from,
so a `/guide` answer never pays for YAML parsing. Slug and version come from the stored version.
"""

from __future__ import annotations

import json
from typing import Any

from guidelines.trees.model import Leaf, Node, Option, Question, Tree

FORMAT = 1


def tree_to_json(tree: Tree) -> str:
    """The tree as compact JSON with sorted keys."""
    nodes: list[dict[str, Any]] = []
    for n in tree.nodes:
        if isinstance(n, Question):
            nodes.append(
                {
                    "id": n.id,
                    "text": n.text,
                    "help": n.help,
                    "anchors": list(n.anchors),
                    "options": [{"text": o.text, "next": o.next, "line": o.line} for o in n.options],
                    "line": n.line,
                }
            )
        else:
            nodes.append(
                {"id": n.id, "label": n.label, "rationale": n.rationale, "anchor": n.anchor, "line": n.line}
            )
    payload = {
        "format": FORMAT,
        "id": tree.id,
        "title": tree.title,
        "description": tree.description,
        "start": tree.start,
        "file": tree.file,
        "nodes": nodes,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def tree_from_json(text: str, *, slug: str = "", version: str = "") -> Tree:
    """The Tree that tree_to_json wrote."""
    data = json.loads(text)
    if data.get("format") != FORMAT:
        raise ValueError(f"stored tree has format {data.get('format')!r}, this code reads {FORMAT}")
    nodes: list[Node] = []
    for n in data["nodes"]:
        if "options" in n:
            options = tuple(Option(text=o["text"], next=o["next"], line=o["line"]) for o in n["options"])
            nodes.append(
                Question(
                    id=n["id"],
                    text=n["text"],
                    options=options,
                    help=n["help"],
                    anchors=tuple(n["anchors"]),
                    line=n["line"],
                )
            )
        else:
            nodes.append(
                Leaf(
                    id=n["id"], label=n["label"], rationale=n["rationale"], anchor=n["anchor"], line=n["line"]
                )
            )
    return Tree(
        id=data["id"],
        title=data["title"],
        description=data["description"],
        start=data["start"],
        nodes=tuple(nodes),
        file=data["file"],
        slug=slug,
        version=version,
    )
