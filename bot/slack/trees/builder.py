"""Block Kit for decision trees: the tree list, one question per message, the leaf, the shared outcome.

Pure functions. A walk's whole state is in its buttons' values (`walk_ref`): the tree, the guideline
version it is pinned to, the walk id and the option indices taken from `start`. So publishing a newer
version or restarting the bot mid-walk changes nothing for that walk. Every document or user text is
escaped; long texts are split, never cut.
"""

from __future__ import annotations

import re

from bot.slack.blocks import kit
from bot.slack.blocks.kit import Block
from bot.slack.blocks.mrkdwn import escape
from bot.slack.blocks.section_link import GUIDE_SHOW_SECTION, section_ref
from bot.slack.blocks.tree_link import (
    TREE_BACK,
    TREE_CHOOSE,
    TREE_RESTART,
    TREE_SHARE,
    TREE_START,
    WalkRef,
    walk_ref,
)
from guidelines.trees.model import Leaf, Node, Question, Tree


def _one_line(text: str) -> str:
    return escape(" ".join(text.split()))


def _title(tree: Tree) -> list[Block]:
    return [
        *kit.heading(tree.title),
        kit.context(
            [f"Decision tree `{_one_line(tree.ref)}` · {_one_line(tree.slug)} `v{_one_line(tree.version)}`"]
        ),
    ]


def tree_list_blocks(trees: list[Tree]) -> list[Block]:
    """`/guide tree`: every tree of the current guidelines with a Start button each."""
    if not trees:
        return kit.note("No guideline has decision trees yet.")
    blocks: list[Block] = [*kit.heading("Decision trees")]
    for tree in trees:
        start = walk_ref(WalkRef(tree.slug, tree.id, tree.version, "0" * 8, ()))
        blocks += [
            kit.divider(),
            *kit.sections(f"*{_one_line(tree.title)}*  `{_one_line(tree.ref)}` `v{_one_line(tree.version)}`"),
            *kit.sections(escape(tree.description)),
            *kit.actions([kit.button("Start", TREE_START, start, style="primary")]),
        ]
    return blocks


def _trail(tree: Tree, ref: WalkRef, nodes: tuple[Node, ...]) -> list[str]:
    """`question → chosen option` for each step taken."""
    lines = []
    for node, choice in zip(nodes, ref.path, strict=False):
        assert isinstance(node, Question)
        lines.append(f"• {_one_line(node.text)} → *{_one_line(node.options[choice].text)}*")
    return lines


def _nav(ref: WalkRef) -> list[dict]:
    buttons = []
    if ref.path:
        back = WalkRef(ref.slug, ref.tree_id, ref.version, ref.walk_id, ref.path[:-1])
        buttons.append(kit.button("Back", TREE_BACK, walk_ref(back)))
        again = WalkRef(ref.slug, ref.tree_id, ref.version, ref.walk_id, ())
        buttons.append(kit.button("Start over", TREE_RESTART, walk_ref(again)))
    return buttons


def question_blocks(tree: Tree, ref: WalkRef, nodes: tuple[Node, ...]) -> list[Block]:
    """One question of a walk with its options, Back and Start over."""
    node = nodes[-1]
    assert isinstance(node, Question)
    blocks = [*_title(tree), *kit.sections(f"*{escape(node.text)}*")]
    if node.help:
        blocks += kit.sections(escape(node.help))
    if node.anchors:
        cited = ", ".join(f"`#{_one_line(a)}`" for a in node.anchors)
        blocks.append(kit.context([f"Sections: {cited}"]))
    options = [
        kit.button(
            opt.text,
            f"{TREE_CHOOSE}{i}",
            walk_ref(WalkRef(ref.slug, ref.tree_id, ref.version, ref.walk_id, (*ref.path, i))),
        )
        for i, opt in enumerate(node.options)
    ]
    blocks += kit.actions(options, block_id="tree_options")
    if ref.path:
        blocks += kit.actions(_nav(ref), block_id="tree_nav")
    return blocks


def leaf_blocks(
    tree: Tree, ref: WalkRef, nodes: tuple[Node, ...], *, current: str, changed: bool | None
) -> list[Block]:
    """The outcome: label, rationale, the cited section, the path taken, Share result."""
    leaf = nodes[-1]
    assert isinstance(leaf, Leaf)
    blocks = [*_title(tree), *kit.sections(f"Label: *{_one_line(leaf.label)}*")]
    blocks += kit.sections(escape(leaf.rationale))
    blocks += kit.sections(
        f"Section `#{_one_line(leaf.anchor)}` of {_one_line(tree.slug)} `v{_one_line(tree.version)}`"
    )
    trail = _trail(tree, ref, nodes)
    if trail:
        blocks += kit.sections("*Path taken*\n" + "\n".join(trail))
    if current != tree.version:
        said = (
            "this tree changed in it"
            if changed
            else "this tree is not in it"
            if changed is None
            else "this tree is the same in it"
        )
        blocks.append(kit.context([f"A newer version, `v{_one_line(current)}`, is current: {said}."]))
    buttons = [
        kit.button("Show section", GUIDE_SHOW_SECTION, section_ref(tree.slug, tree.version, leaf.anchor)),
        kit.button("Share result", TREE_SHARE, walk_ref(ref), style="primary"),
        *_nav(ref),
    ]
    blocks += kit.actions(buttons, block_id="tree_leaf")
    return blocks


def shared_blocks(tree: Tree, ref: WalkRef, nodes: tuple[Node, ...], user_id: str) -> list[Block]:
    """The outcome posted to the channel by Share result."""
    leaf = nodes[-1]
    assert isinstance(leaf, Leaf)
    who = f"<@{user_id}>" if re.fullmatch(r"[UW][A-Z0-9]{2,}", user_id) else _one_line(user_id)
    blocks = [
        *kit.sections(
            f"{who} walked *{_one_line(tree.title)}* (`{_one_line(tree.ref)}` `v{_one_line(tree.version)}`): "
            f"label *{_one_line(leaf.label)}*, section `#{_one_line(leaf.anchor)}`"
        )
    ]
    trail = _trail(tree, ref, nodes)
    if trail:
        blocks += kit.sections("\n".join(trail))
    blocks += kit.actions(
        [kit.button("Show section", GUIDE_SHOW_SECTION, section_ref(tree.slug, tree.version, leaf.anchor))]
    )
    return blocks
