"""Decision-tree walks in the store: steps recorded once per (walk, path), outcomes shared once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.store.models.tree_walks import TreeShare, TreeStep
from reports.trees import COLUMNS


def _insert(session: Session, model: type) -> Any:
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


def record_step(
    session: Session,
    *,
    walk_id: str,
    path: Sequence[int],
    tree: str,
    version: str,
    node: str,
    user_id: str,
    outcome: str | None,
) -> bool:
    """Record that a walk reached `node` by `path`; False when that step was already recorded."""
    stmt = (
        _insert(session, TreeStep)
        .values(
            walk_id=walk_id,
            path=".".join(map(str, path)),
            tree=tree,
            version=version,
            step=len(path),
            node=node,
            option=path[-1] if path else None,
            user_id=user_id,
            outcome=outcome,
        )
        .on_conflict_do_nothing(index_elements=["walk_id", "path"])
        # RETURNING, not rowcount: a row comes back only when this call inserted it.
        .returning(TreeStep.id)
    )
    return session.execute(stmt).scalar_one_or_none() is not None


def claim_share(session: Session, walk_id: str, path: Sequence[int]) -> bool:
    """True for the first Share result of a walk (on any replica), False for every later click."""
    stmt = (
        _insert(session, TreeShare)
        .values(walk_id=walk_id, path=".".join(map(str, path)))
        .on_conflict_do_nothing(index_elements=["walk_id"])
        .returning(TreeShare.walk_id)
    )
    return session.execute(stmt).scalar_one_or_none() is not None


def walk_steps(session: Session, since: datetime | None = None, trees: Sequence[str] = ()) -> pd.DataFrame:
    """Recorded steps as the frame `reports.trees.tree_stats` reads (its COLUMNS), oldest first."""
    stmt: Select = select(
        TreeStep.walk_id,
        TreeStep.tree,
        TreeStep.version,
        TreeStep.step,
        TreeStep.node,
        TreeStep.option,
        TreeStep.user_id,
        TreeStep.at,
        TreeStep.outcome,
    ).order_by(TreeStep.at, TreeStep.id)
    if since is not None:
        stmt = stmt.where(TreeStep.at >= since)
    if trees:
        stmt = stmt.where(TreeStep.tree.in_(list(trees)))
    frame = pd.DataFrame(session.execute(stmt).all(), columns=list(COLUMNS))
    frame["option"] = frame["option"].astype("Int64")
    frame["step"] = frame["step"].astype(int)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame
