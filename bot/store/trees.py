"""Decision trees of published guideline versions: stored by publish, rebuilt into Trees exactly."""

from __future__ import annotations

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session

from bot.errors import NotFoundError
from bot.store.guidelines import require_known
from bot.store.models.guidelines import Guideline, GuidelineVersion
from bot.store.models.trees import DecisionTree, DecisionTreeAnchor
from guidelines.semver import parse_version
from guidelines.trees.canonical import tree_from_json
from guidelines.trees.model import Tree


def _rows(stmt: Select[tuple[DecisionTree, str, str]], session: Session) -> list[Tree]:
    return [
        tree_from_json(row.data, slug=slug, version=version) for row, slug, version in session.execute(stmt)
    ]


def _select() -> Select[tuple[DecisionTree, str, str]]:
    return (
        select(DecisionTree, Guideline.slug, GuidelineVersion.version)
        .join(GuidelineVersion, GuidelineVersion.id == DecisionTree.version_id)
        .join(Guideline, Guideline.id == GuidelineVersion.guideline_id)
    )


def list_trees(session: Session, slug: str | None = None) -> list[Tree]:
    """The trees of the current version of each guideline (or of one), by guideline then file order."""
    require_known(session, slug, None)
    stmt = _select().where(GuidelineVersion.is_current)
    if slug is not None:
        stmt = stmt.where(Guideline.slug == slug)
    return _rows(stmt.order_by(Guideline.slug, DecisionTree.position), session)


def get_tree(session: Session, slug: str, tree_id: str, version: str | None = None) -> Tree:
    """One tree of slug at `version` (the current one by default); NotFoundError names the known trees."""
    require_known(session, slug, version)
    stmt = _select().where(Guideline.slug == slug)
    stmt = (
        stmt.where(GuidelineVersion.version == version)
        if version
        else stmt.where(GuidelineVersion.is_current)
    )
    trees = _rows(stmt.order_by(DecisionTree.position), session)
    found = next((t for t in trees if t.id == tree_id), None)
    if found is not None:
        return found
    at = version or session.scalar(
        select(GuidelineVersion.version)
        .join(Guideline)
        .where(Guideline.slug == slug, GuidelineVersion.is_current)
    )
    if trees:
        known = ", ".join(f"{slug}/{t.id}" for t in trees)
        raise NotFoundError(f"{slug}@{at} has no tree '{tree_id}' (trees: {known})")
    raise NotFoundError(f"{slug}@{at} has no tree '{tree_id}': it has no decision trees")


def trees_citing(session: Session, slug: str, version: str, anchor: str) -> list[Tree]:
    """The trees of slug@version that cite section `anchor` in a question or a leaf, in file order."""
    stmt = (
        _select()
        .join(DecisionTreeAnchor, DecisionTreeAnchor.tree_pk == DecisionTree.id)
        .where(
            Guideline.slug == slug, GuidelineVersion.version == version, DecisionTreeAnchor.anchor == anchor
        )
        .order_by(DecisionTree.position)
    )
    return _rows(stmt, session)


def tree_versions(session: Session, slug: str, tree_id: str) -> list[str]:
    """The versions of slug that have tree `tree_id`, oldest first by semver (empty when none has)."""
    require_known(session, slug, None)
    rows = session.scalars(
        select(GuidelineVersion.version)
        .join(Guideline, Guideline.id == GuidelineVersion.guideline_id)
        .join(DecisionTree, DecisionTree.version_id == GuidelineVersion.id)
        .where(Guideline.slug == slug, DecisionTree.tree_id == tree_id)
    ).all()
    return sorted(rows, key=parse_version)


def tree_source(session: Session, slug: str, tree_id: str, version: str | None = None) -> str:
    """The YAML text a tree was published with."""
    tree = get_tree(session, slug, tree_id, version)
    return session.scalars(
        select(DecisionTree.source)
        .join(GuidelineVersion, GuidelineVersion.id == DecisionTree.version_id)
        .join(Guideline, Guideline.id == GuidelineVersion.guideline_id)
        .where(
            Guideline.slug == slug, GuidelineVersion.version == tree.version, DecisionTree.tree_id == tree_id
        )
    ).one()


def trees_citing_sections(
    session: Session, sections: list[tuple[str, str, str]]
) -> dict[tuple[str, str, str], list[str]]:
    """For each (slug, version, anchor), the ids of the trees of that version citing it; one query for a
    whole `/guide` answer."""
    if not sections:
        return {}
    rows = session.execute(
        select(Guideline.slug, GuidelineVersion.version, DecisionTreeAnchor.anchor, DecisionTree.tree_id)
        .join(GuidelineVersion, GuidelineVersion.guideline_id == Guideline.id)
        .join(DecisionTree, DecisionTree.version_id == GuidelineVersion.id)
        .join(DecisionTreeAnchor, DecisionTreeAnchor.tree_pk == DecisionTree.id)
        .where(tuple_(Guideline.slug, GuidelineVersion.version, DecisionTreeAnchor.anchor).in_(sections))
        .order_by(DecisionTree.position)
    ).all()
    out: dict[tuple[str, str, str], list[str]] = {}
    for slug, version, anchor, tree_id in rows:
        out.setdefault((slug, version, anchor), []).append(tree_id)
    return out
