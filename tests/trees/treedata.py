"""A small valid tree for the mini guideline (tests/support/guidelines.py) and ways to break it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.support.guidelines import mini

# Line numbers below are this text's: the broken cases name the line each error must point at.
VALID = """\
id: sarcasm
title: Sarcastic?
description: Is the praise meant?
start: q1
nodes:
  q1:
    text: Is the praise contradicted by a fact in the review?
    anchors: [sarcasm]
    options:
      - text: "Yes"
        next: neg
      - text: "No"
        next: q2
  q2:
    text: Is there any judgment of the product?
    help: An emoji alone decides nothing.
    options:
      - text: Praise
        next: pos
      - text: None
        next: neu
  neg:
    label: Negative
    rationale: Sarcastic praise is Negative.
    anchor: sarcasm
  pos:
    label: Positive
    rationale: Sincere praise is Positive.
    anchor: overview
  neu:
    label: Neutral
    rationale: No judgment.
    anchor: emoji
"""

LEAF = """  {id}:
    label: Neutral
    rationale: r
    anchor: emoji
"""


def replace_line(number: int, new: str) -> Callable[[str], str]:
    """An edit replacing line `number` (1-based) of the text."""

    def edit(text: str) -> str:
        lines = text.split("\n")
        lines[number - 1] = new
        return "\n".join(lines)

    return edit


def insert_after(number: int, new: str) -> Callable[[str], str]:
    """An edit inserting `new` (one or more lines) after line `number`."""

    def edit(text: str) -> str:
        lines = text.split("\n")
        lines[number:number] = new.rstrip("\n").split("\n")
        return "\n".join(lines)

    return edit


def delete_lines(first: int, last: int) -> Callable[[str], str]:
    """An edit deleting lines first..last (1-based, inclusive)."""

    def edit(text: str) -> str:
        lines = text.split("\n")
        del lines[first - 1 : last]
        return "\n".join(lines)

    return edit


def append(new: str) -> Callable[[str], str]:
    """An edit adding lines at the end."""
    return lambda text: text + new


def chain_tree(questions: int) -> str:
    """A valid-looking tree whose longest walk asks `questions` questions (q1 … qN, each also ending)."""
    out = ["id: deep", "title: Deep", "start: q1", "nodes:"]
    for i in range(1, questions + 1):
        nxt = f"q{i + 1}" if i < questions else "end"
        out += [
            f"  q{i}:",
            f"    text: Question {i}?",
            "    options:",
            f"      - {{text: Go on, next: {nxt}}}",
            "      - {text: Stop, next: end}",
        ]
    out += ["  end:", "    label: Neutral", "    rationale: r", "    anchor: emoji"]
    return "\n".join(out) + "\n"


def wide_tree(branching: int, levels: int) -> str:
    """A tree where every question has `branching` options, `levels` questions deep, then leaves."""
    out = ["id: wide", "title: Wide", "start: n", "nodes:"]
    frontier = ["n"]
    for _ in range(levels):
        nxt_frontier = []
        for node in frontier:
            children = [f"{node}{k}" for k in range(branching)]
            out += [f"  {node}:", "    text: Which?", "    options:"]
            out += [f"      - {{text: Option {k}, next: {c}}}" for k, c in enumerate(children)]
            nxt_frontier += children
        frontier = nxt_frontier
    for node in frontier:
        out += [f"  {node}:", "    label: Neutral", "    rationale: r", "    anchor: emoji"]
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class Broken:
    """A broken tree file: how to make it from VALID (or its whole text), the line and message expected."""

    name: str
    edit: Callable[[str], str]
    line: int
    message: str
    file_name: str = "t.yaml"


BIG = "x" * 3001

BROKEN: list[Broken] = [
    Broken(
        "yaml-syntax",
        replace_line(7, "    text: Is: the: praise"),
        7,
        "malformed YAML: mapping values are not allowed",
    ),
    Broken("yaml-unclosed-quote", replace_line(15, '    text: "Is there'), 15, "malformed YAML:"),
    Broken(
        "alias",
        lambda t: t.replace("text: Praise", "text: &p Praise").replace("text: None", "text: *p"),
        20,
        "aliases (*name) are not supported",
    ),
    Broken("unknown-field", insert_after(7, "    colour: red"), 8, 'node "q1": unknown field "colour"'),
    Broken(
        "unknown-top-field",
        replace_line(3, "descripton: Is the praise meant?"),
        3,
        'tree: unknown field "descripton" (did you mean "description"?)',
    ),
    Broken("missing-field", delete_lines(24, 24), 22, 'node "neg": missing required field "rationale"'),
    Broken("missing-top-field", delete_lines(2, 2), 1, 'tree: missing required field "title"'),
    Broken("missing-next", delete_lines(11, 11), 10, 'node "q1": option 1: missing required field "next"'),
    Broken(
        "wrong-type-options",
        lambda t: "\n".join([*t.split("\n")[:16], "    options: yes please", *t.split("\n")[21:]]),
        17,
        'node "q2": options must be a list of options',
    ),
    Broken(
        "wrong-type-text", replace_line(7, "    text: [a, b]"), 7, 'node "q1": text must be text, not a list'
    ),
    Broken(
        "wrong-type-nodes",
        lambda t: t.split("nodes:")[0] + "nodes: [q1, q2]\n",
        5,
        "nodes must be a mapping (key: value lines), not a list",
    ),
    Broken(
        "wrong-type-anchors",
        replace_line(8, "    anchors: sarcasm"),
        8,
        'node "q1": anchors must be a list of section anchors, not text',
    ),
    Broken(
        "not-a-mapping",
        lambda t: "- just\n- a list\n",
        1,
        "tree must be a mapping (key: value lines), not a list",
    ),
    Broken("empty-file", lambda t: "# nothing yet\n", 1, "empty tree file"),
    Broken(
        "empty-text",
        replace_line(7, "    text: #not a comment"),
        7,
        'node "q1": text is empty (a # starts a YAML comment',
    ),
    Broken(
        "unknown-next",
        replace_line(21, "        next: neutral"),
        21,
        'node "q2": next "neutral" is not a node of this tree (did you mean "neu"?)',
    ),
    Broken(
        "unknown-start",
        replace_line(4, "start: q0"),
        4,
        'start "q0" is not a node of this tree',
    ),
    Broken(
        "cycle",
        replace_line(19, "        next: q1"),
        19,
        "cycle: q1 → q2 → q1: a walk must always reach a leaf",
    ),
    Broken("self-loop", replace_line(13, "        next: q1"), 13, "cycle: q1 → q1"),
    Broken(
        "unreachable", append(LEAF.format(id="orphan")), 34, 'node "orphan" is unreachable from start "q1"'
    ),
    Broken(
        "duplicate-node-id", append(LEAF.format(id="q2")), 34, 'duplicate node id "q2" (first at line 14)'
    ),
    Broken(
        "duplicate-key",
        insert_after(7, "    text: Again?"),
        8,
        'node "q1": duplicate key "text" (first at line 7)',
    ),
    Broken("mixed-node", insert_after(7, "    label: Positive"), 6, 'node "q1" mixes question fields'),
    Broken("neither-node", lambda t: t + "  odd:\n    colour: red\n", 34, 'node "odd" is neither a question'),
    Broken("bad-node-id", append(LEAF.format(id="-dash")), 34, 'bad node id "-dash"'),
    Broken("one-option", delete_lines(20, 21), 17, 'node "q2" has 1 option: a question needs 2 to 8'),
    Broken(
        "nine-options",
        insert_after(21, "\n".join(f"      - {{text: More {i}, next: neu}}" for i in range(7))),
        17,
        'node "q2" has 9 options: a question needs 2 to 8',
    ),
    Broken(
        "label-outside-labels",
        replace_line(23, "    label: Sarcastic"),
        23,
        'node "neg": label "Sarcastic" is not a label of this guideline',
    ),
    Broken(
        "leaf-anchor-missing",
        replace_line(33, "    anchor: emojis"),
        33,
        'node "neu": no section of this version has anchor "emojis" (did you mean "emoji"?)',
    ),
    Broken(
        "question-anchor-missing",
        replace_line(8, "    anchors: [irony]"),
        8,
        'node "q1": no section of this version has anchor "irony"',
    ),
    Broken(
        "anchor-with-hash",
        replace_line(25, '    anchor: "#sarcasm"'),
        25,
        'node "neg": anchor "#sarcasm": write the anchor without the leading #',
    ),
    Broken(
        "too-deep",
        lambda t: chain_tree(26),
        5,
        "the tree is too deep: a walk can ask 26 questions, the limit is 25",
    ),
    Broken("too-many-nodes", lambda t: wide_tree(8, 3), 4, "the tree has 585 nodes; the limit is 500"),
    Broken(
        "question-text-too-long",
        replace_line(7, f"    text: {BIG}"),
        7,
        'node "q1": text is too long: 3001 characters; Slack shows at most 3000',
    ),
    Broken(
        "question-text-escaped-too-long",
        replace_line(7, "    text: " + "a&b " * 500),
        7,
        "3999 characters (&, < and > count as Slack's escapes)",
    ),
    Broken(
        "option-text-too-long",
        replace_line(10, "      - text: " + "y" * 76),
        10,
        'node "q1": option 1: text is too long: 76 characters; Slack shows at most 75',
    ),
    Broken(
        "option-text-two-lines",
        replace_line(10, '      - text: "Yes\\nreally"'),
        10,
        "option 1: text must be a single line",
    ),
    Broken("help-too-long", replace_line(16, f"    help: {BIG}"), 16, 'node "q2": help is too long'),
    Broken(
        "rationale-too-long",
        replace_line(24, f"    rationale: {BIG}"),
        24,
        'node "neg": rationale is too long',
    ),
    Broken(
        "title-too-long",
        replace_line(2, "title: " + "t" * 151),
        2,
        "title is too long: 151 characters; Slack shows at most 150",
    ),
    Broken(
        "control-character",
        replace_line(15, "    text: Is there\x07 any judgment?"),
        15,
        "control character U+0007 in text (column 19)",
    ),
    Broken(
        "control-character-escape",
        replace_line(15, '    text: "Is there\\x01 any"'),
        15,
        'node "q2": text: control character U+0001 in text',
    ),
    Broken(
        "lone-surrogate-escape",
        replace_line(24, '    rationale: "\\ud83d alone"'),
        24,
        # libyaml refuses the escape itself; PyYAML decodes it and the loader refuses the surrogate.
        "invalid Unicode character escape code" if yaml.__with_libyaml__ else "U+D83D is a lone surrogate",
    ),
    Broken(
        "tree-id-not-a-slug",
        replace_line(1, "id: Sarcasm_Tree"),
        1,
        'bad tree id "Sarcasm_Tree": use 1-64 lowercase letters',
    ),
    Broken("yml-suffix", lambda t: t, 0, "tree files end in .yaml: rename it to t.yaml", file_name="t.yml"),
    Broken("not-utf8", lambda t: t.replace("No judgment.", "No judgm\udce9nt."), 32, "not UTF-8: byte 0xE9"),
]


def write_version(
    root: Path, trees: dict[str, str | bytes], version: str = "1.0.0", name: str | None = None
) -> Path:
    """The mini guideline with these files in its trees/ folder (bytes written raw)."""
    folder = mini(root, version, name=name)
    tree_dir = folder / "trees"
    tree_dir.mkdir(exist_ok=True)
    for file_name, text in trees.items():
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
        (tree_dir / file_name).write_bytes(data)
    return folder
