"""What the decision-tree buttons answer: read the pinned tree, record the step, build the blocks.

Worker jobs (`fn(engine, …)`, one transaction each, plain data in and out, no Slack client). The walk's
state comes from the button value; a value that does not name a step of the pinned tree is explained,
and nothing is recorded for it.
"""

from __future__ import annotations

import dataclasses
import secrets

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.errors import InputError, NotFoundError
from bot.jobs.answer import Answer, Step
from bot.slack.blocks import kit
from bot.slack.blocks.tree_link import WalkRef, parse_walk_ref
from bot.slack.trees.builder import leaf_blocks, question_blocks, shared_blocks, tree_list_blocks
from bot.store.db import session_scope
from bot.store.guidelines import get_version
from bot.store.tree_walks import claim_share, record_step
from bot.store.trees import get_tree, list_trees
from guidelines.trees.model import Leaf, Node, Tree

STALE = "that button no longer points at a step of a decision tree: start again with /guide tree"


def new_walk_id() -> str:
    """A fresh walk id (16 hex digits)."""
    return secrets.token_hex(8)


def tree_list(session: Session) -> Answer:
    """`/guide tree`: the trees of the current guidelines."""
    return Answer(kit.paginate(tree_list_blocks(list_trees(session))), "Decision trees")


def parse_tree_arg(arg: str) -> tuple[str, str, str | None]:
    """`SLUG/TREE[@VERSION]` → (slug, tree id, version or None); InputError otherwise."""
    ref, _, version = arg.strip().partition("@")
    slug, sep, tree_id = ref.partition("/")
    if not sep or not slug or not tree_id or "/" in tree_id or (_ and not version):
        raise InputError("usage: /guide tree SLUG/TREE[@VERSION], e.g. /guide tree product-sentiment/sarcasm")
    return slug, tree_id, (version[1:] if version[:1] in "vV" and version[1:2].isdigit() else version) or None


def start_ref(session: Session, slug: str, tree_id: str, version: str | None) -> WalkRef:
    """A new walk of slug/tree at version (the current one by default)."""
    tree = get_tree(session, slug, tree_id, version)
    return WalkRef(slug, tree_id, tree.version, new_walk_id(), ())


def _shape(tree: Tree) -> tuple[object, ...]:
    """A tree's content without file positions and version, to tell whether it changed."""
    nodes = []
    for n in tree.nodes:
        n = dataclasses.replace(n, line=0)
        if not isinstance(n, Leaf):
            n = dataclasses.replace(n, options=tuple(dataclasses.replace(o, line=0) for o in n.options))
        nodes.append(n)
    return (tree.id, tree.title, tree.description, tree.start, tuple(nodes))


def _resolve(session: Session, ref: WalkRef) -> tuple[Tree, tuple[Node, ...]]:
    try:
        tree = get_tree(session, ref.slug, ref.tree_id, ref.version)
    except NotFoundError as exc:
        raise InputError(STALE) from exc
    nodes = tree.follow(ref.path)
    if nodes is None:
        raise InputError(STALE)
    return tree, nodes


def _page(session: Session, tree: Tree, ref: WalkRef, nodes: tuple[Node, ...]) -> Answer:
    node = nodes[-1]
    if isinstance(node, Leaf):
        current = get_version(session, ref.slug).version
        changed: bool | None = False
        if current != tree.version:
            try:
                changed = _shape(get_tree(session, ref.slug, ref.tree_id, current)) != _shape(tree)
            except NotFoundError:
                changed = None
        blocks = leaf_blocks(tree, ref, nodes, current=current, changed=changed)
        text = f"{tree.title}: {node.label}"
    else:
        blocks = question_blocks(tree, ref, nodes)
        text = f"{tree.title}: {node.text}"
    return Answer(kit.paginate(blocks), kit.fallback_text(text))


def walk_step(session: Session, ref: WalkRef) -> tuple[Answer, Step]:
    """The message for a walk state, and the step it reaches (to record afterwards)."""
    tree, nodes = _resolve(session, ref)
    node = nodes[-1]
    outcome = node.label if isinstance(node, Leaf) else None
    step = Step(ref.walk_id, ref.path, ref.tree, ref.version, node.id, outcome)
    return _page(session, tree, ref, nodes), step


def remember_step(engine: Engine, step: Step, user_id: str) -> bool:
    """Record a step in a short write transaction of its own; False when it was recorded before.

    Separate from the reads, so that on SQLite a reader never upgrades to a writer (that upgrade fails
    at once when another request wrote meanwhile, instead of waiting its turn).
    """
    with session_scope(engine) as session:
        return record_step(session, user_id=user_id, **dataclasses.asdict(step))


def walk_job(engine: Engine, value: str, *, user_id: str, new_walk: bool = False) -> Answer:
    """A tree button's answer: Start (a new walk id), an option, Back, Start over; its step recorded once."""
    try:
        ref = parse_walk_ref(value)
    except ValueError as exc:
        raise InputError(STALE) from exc
    if new_walk:
        ref = WalkRef(ref.slug, ref.tree_id, ref.version, new_walk_id(), ())
    with session_scope(engine) as session:
        answer, step = walk_step(session, ref)
    remember_step(engine, step, user_id)
    return answer


def start_walk(session: Session, arg: str) -> Answer:
    """`/guide tree SLUG/TREE[@VERSION]`: a new walk's first question, with its step 0 to record."""
    slug, tree_id, version = parse_tree_arg(arg)
    answer, step = walk_step(session, start_ref(session, slug, tree_id, version))
    return dataclasses.replace(answer, step=step)


def share_job(engine: Engine, value: str, *, user_id: str) -> Answer | None:
    """The outcome to post for Share result, or None when this walk was shared already (any replica)."""
    try:
        ref = parse_walk_ref(value)
    except ValueError as exc:
        raise InputError(STALE) from exc
    with session_scope(engine) as session:
        tree, nodes = _resolve(session, ref)
        leaf = nodes[-1]
        if not isinstance(leaf, Leaf):
            raise InputError(STALE)
        answer = Answer(
            kit.paginate(shared_blocks(tree, ref, nodes, user_id)),
            kit.fallback_text(f"{tree.title}: {leaf.label}"),
        )
    with session_scope(engine) as session:  # the claim alone: a write transaction of its own
        return answer if claim_share(session, ref.walk_id, ref.path) else None
