"""A link into a decision tree: the walk state a button carries, answered by the trees feature.

The action ids and the value are the contract between whoever shows a tree button (a `/guide` answer,
the tree list, a walk message) and the trees feature's listeners. The whole state of a walk is in the
value: the tree, the guideline version it is pinned to, the walk id and the option indices taken.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bot.slack.blocks import kit
from guidelines.trees.model import MAX_DEPTH, MAX_OPTIONS

TREE_START = "tree_start"
TREE_CHOOSE = "tree_choose_"  # + option index: action ids are unique within a block
TREE_BACK = "tree_back"
TREE_RESTART = "tree_restart"
TREE_SHARE = "tree_share"
TREE_STEP_ACTIONS = re.compile(r"^tree_(?:start|back|restart|choose_[0-7])$")
_WALK_ID = re.compile(r"[0-9a-f]{8,32}")


@dataclass(frozen=True)
class WalkRef:
    """A walk's state: tree `slug/id` at `version`, walk id, the choices taken from start."""

    slug: str
    tree_id: str
    version: str
    walk_id: str
    path: tuple[int, ...]

    @property
    def tree(self) -> str:
        """`slug/tree_id`."""
        return f"{self.slug}/{self.tree_id}"


def walk_ref(ref: WalkRef) -> str:
    """The button value of a walk state (compact JSON, within Slack's 2000 characters)."""
    value = json.dumps(
        {"t": ref.tree, "v": ref.version, "w": ref.walk_id, "p": list(ref.path)},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    if len(value) > kit.BUTTON_VALUE_MAX:
        raise ValueError("walk state does not fit a button value")
    return value


def parse_walk_ref(value: object) -> WalkRef:
    """The WalkRef of a button value; ValueError on anything else (a forged or foreign value)."""
    if not isinstance(value, str) or len(value) > kit.BUTTON_VALUE_MAX:
        raise ValueError("not a walk")
    try:
        data = json.loads(value)
    except ValueError as exc:
        raise ValueError("not a walk") from exc
    if not isinstance(data, dict) or set(data) != {"t", "v", "w", "p"}:
        raise ValueError("not a walk")
    tree, version, walk_id, path = data["t"], data["v"], data["w"], data["p"]
    if not (isinstance(tree, str) and tree.count("/") == 1 and isinstance(version, str) and version):
        raise ValueError("not a walk")
    if not (isinstance(walk_id, str) and _WALK_ID.fullmatch(walk_id)):
        raise ValueError("not a walk")
    if not (isinstance(path, list) and len(path) <= MAX_DEPTH):
        raise ValueError("not a walk")
    if not all(type(p) is int and 0 <= p < MAX_OPTIONS for p in path):
        raise ValueError("not a walk")
    slug, tree_id = tree.split("/")
    if not slug or not tree_id:
        raise ValueError("not a walk")
    return WalkRef(slug, tree_id, version, walk_id, tuple(path))


def walk_button(slug: str, version: str, tree_id: str) -> dict:
    """A **Walk the tree** button for a `/guide` answer whose section the tree cites."""
    return kit.button("Walk the tree", TREE_START, walk_ref(WalkRef(slug, tree_id, version, "0" * 8, ())))
