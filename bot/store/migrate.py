"""Writing the next migration: Alembic autogenerate against a database at head (a developer tool).

`annobot db revision` compares the models (`bot.store.schema.metadata`, through the project's
`migrations/env.py`, so batch mode on SQLite and the hand-managed search objects are honoured) with
the configured database and writes `NNNN_<slug>.py` next to the shipped revisions, numbered on from
the highest one (0001, 0002, …).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from argparse import Namespace
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Engine

from bot.errors import StoreError
from bot.store.db import MIGRATIONS, alembic_config, current_revision

VERSIONS = MIGRATIONS / "versions"
# Revision ids are zero-padded numbers; the file name is Alembic's default "<rev>_<slug>.py".
ID_WIDTH = 4


class NotAtHeadError(StoreError):
    """Autogenerate against a database behind (or ahead of) the migrations would write a wrong diff."""

    exit_code = 2


@dataclass(frozen=True)
class NewRevision:
    """What `write_revision` did: the revision id it used, its parent, the file (None if nothing was
    written) and one line per detected change."""

    revision: str
    down_revision: str | None
    path: Path | None
    changes: list[str] = field(default_factory=list)


def revision_config(engine: Engine, versions_dir: Path | None = None) -> AlembicConfig:
    """The project's Alembic config; with `versions_dir`, new revisions go there (tests) while the
    shipped chain is still read from the package."""
    cfg = alembic_config(engine)
    if versions_dir is not None:
        locations = os.pathsep.join(str(p) for p in (VERSIONS, versions_dir))
        # path_separator is Alembic >= 1.16; older releases read version_path_separator.
        cfg.set_main_option("path_separator", "os")
        cfg.set_main_option("version_path_separator", "os")
        cfg.set_main_option("version_locations", locations.replace("%", "%%"))
    # Alembic's own "Generating … done" lines would duplicate what the CLI says.
    cfg.cmd_opts = Namespace(quiet=True)
    return cfg


def next_revision_id(revisions: Sequence[str]) -> str:
    """The number after the highest numeric revision id, zero-padded (`0005` after `0004`)."""
    numbers = [int(r) for r in revisions if r.isdigit()]
    return f"{max(numbers, default=0) + 1:0{ID_WIDTH}d}"


def write_revision(
    engine: Engine, message: str, *, versions_dir: Path | None = None, empty: bool = False
) -> NewRevision:
    """Autogenerate the next revision; without changes, write nothing unless `empty`.

    Raises NotAtHeadError unless the database is at the newest revision.
    """
    cfg = revision_config(engine, versions_dir)
    script = ScriptDirectory.from_config(cfg)
    heads = script.get_heads()
    if len(heads) != 1:
        raise StoreError(f"the migrations have {len(heads)} heads ({', '.join(heads)}); expected one")
    head = heads[0]
    current = current_revision(engine)
    if current != head:
        state = "empty" if current is None else f"at revision {current}"
        raise NotAtHeadError(
            f"database is {state}, not at head {head}: run 'annobot db upgrade' first, "
            "then autogenerate against it"
        )
    rev_id = next_revision_id([s.revision for s in script.walk_revisions()])
    changes: list[str] = []

    def keep_or_drop(_context: MigrationContext, _rev: Any, directives: list[MigrationScript]) -> None:
        for migration in directives:
            for upgrade_ops in migration.upgrade_ops_list:
                changes.extend(describe(diff) for diff in upgrade_ops.as_diffs())
        if not changes and not empty:
            directives[:] = []  # nothing to migrate: Alembic then writes no file

    written = command.revision(
        cfg,
        message,
        autogenerate=True,
        rev_id=rev_id,
        version_path=str(versions_dir) if versions_dir is not None else None,
        process_revision_directives=keep_or_drop,
    )
    path = Path(written.path) if isinstance(written, Script) else None
    return NewRevision(rev_id, head, path, changes)


def describe(diff: Any) -> str:
    """One autogenerate diff as `add_table throwaway` or `modify_nullable annotations.label`."""
    if isinstance(diff, list):  # modify_* diffs of one column come grouped
        return "; ".join(describe(d) for d in diff)
    kind, *rest = diff
    if kind.startswith("modify_"):
        return f"{kind} {rest[1]}.{rest[2]}"
    if kind in ("add_column", "remove_column"):
        return f"{kind} {rest[1]}.{rest[2].name}"
    target = rest[0] if rest else None
    name = getattr(target, "name", None)
    table = getattr(getattr(target, "table", None), "name", None)
    if table and name:
        return f"{kind} {table}.{name}"
    return f"{kind} {name or table or ''}".rstrip()


def format_revision(path: Path, *, prune_imports: bool) -> bool:
    """Tidy a generated file with ruff (import block, formatting; unused imports if `prune_imports`).

    Alembic renders single-quoted, unwrapped code; without this, `ruff check .` and `ruff format
    --check .` fail on the new file. An empty revision keeps `op` and `sa`: it is about to be filled
    in by hand. Returns False when ruff is not installed (it is a test extra, not a dependency).
    """
    if importlib.util.find_spec("ruff") is None:
        return False
    ruff = [sys.executable, "-m", "ruff"]
    rules = "I001,F401" if prune_imports else "I001"
    # Exit status 1 only says something was fixed or is left for the developer to see.
    subprocess.run([*ruff, "check", "--quiet", "--fix", "--select", rules, str(path)], check=False)
    subprocess.run([*ruff, "format", "--quiet", str(path)], check=True)
    return True
