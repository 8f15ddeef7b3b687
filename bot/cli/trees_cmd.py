"""`annobot trees`: decision trees of guidelines (check, render, stats)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli import one_line
from bot.cli.trees_render_cmd import render
from bot.errors import InputError

if TYPE_CHECKING:
    from datetime import datetime

    from bot.cli.state import CliState


@click.group()
def trees() -> None:
    """Decision trees for hard cases, authored beside the guideline: check, render, stats."""


def version_folders(folder: Path) -> list[Path]:
    """`folder` when it is a guideline version folder, else its version subfolders (sorted by name)."""
    if _is_version(folder):
        return [folder]
    found = sorted(
        p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and _is_version(p)
    )
    if not found:
        raise InputError(
            f"{folder}: not a guideline version folder (no guideline.toml or Markdown file), "
            "and no subfolder is one"
        )
    return found


def _is_version(folder: Path) -> bool:
    return (folder / "guideline.toml").is_file() or any(
        p.suffix == ".md" and p.is_file() and not p.name.startswith(".") for p in folder.iterdir()
    )


@trees.command("check")
@click.argument(
    "dirs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
def check(dirs: tuple[Path, ...]) -> None:
    """Validate the decision trees (trees/*.yaml) of guideline version folders DIR…, for CI.

    Each DIR is a version folder, or a guideline folder whose subfolders are versions. The trees
    are checked as publishing checks them, against that version's labels and sections, without a
    database: every problem is listed as FILE:LINE: message, and the exit code is 2 when there is any.

    Example: annobot trees check examples/guidelines/product-sentiment
    """
    from guidelines.errors import GuidelineError, TreeErrors
    from guidelines.parse import load_guideline

    folders = [v for d in dirs for v in version_folders(d)]
    errors: list[GuidelineError] = []
    for folder in folders:
        try:
            doc = load_guideline(folder)
        except TreeErrors as exc:
            errors.extend(exc.errors)
            continue
        except GuidelineError as exc:
            errors.append(exc)
            continue
        count = len(doc.trees)
        click.echo(f"ok: {count} tree{'s' if count != 1 else ''} in {folder}")
    if errors:
        raise TreeErrors(errors)


@trees.command("stats")
@click.argument("ref", metavar="[SLUG/TREE]", required=False)
@click.option("--since", help="Only walks' steps from this ISO date or time on (UTC unless a zone is given).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def stats(state: CliState, ref: str | None, since: str | None, as_json: bool) -> None:
    """Walks per tree version: completion rate, outcomes, where walks are abandoned, median time to outcome.

    A walk idle 30 minutes counts as abandoned at its last node; walks still in progress are left out of
    the completion rate. Every tree of the current guidelines is listed, walked or not.

    Example: annobot trees stats product-sentiment/sarcasm --since 2026-11-01 --json
    """
    import json
    from datetime import UTC, datetime

    from bot.cli.trees_render_cmd import parse_tree_ref
    from bot.store.tree_walks import walk_steps
    from bot.store.trees import get_tree, list_trees
    from reports.trees import stats_to_json, tree_stats

    start = _since(since)
    with state.session() as session:
        if ref:
            slug, tree_id, version = parse_tree_ref(ref)
            tree = get_tree(session, slug, tree_id, version)
            expected = [(tree.ref, tree.version)]
            steps = walk_steps(session, start, trees=[tree.ref])
            if version:
                steps = steps[steps["version"] == version]
        else:
            expected = [(t.ref, t.version) for t in list_trees(session)]
            steps = walk_steps(session, start)
    records = tree_stats(steps, datetime.now(UTC), expected=expected)
    if as_json:
        click.echo(json.dumps(stats_to_json(records), indent=2, ensure_ascii=False))
        return
    for r in records:
        rate = (
            f"{r.completion_rate:.0%}"
            if r.completion_rate is not None
            else f"n/a ({r.reasons.get('completion_rate', '')})"
        )
        median = f"{r.median_seconds_to_outcome:.0f} s" if r.median_seconds_to_outcome is not None else "n/a"
        click.echo(
            f"{one_line(r.tree)}@{one_line(r.version)}: {r.walks} walks, {r.completed} completed, "
            f"{r.abandoned} abandoned, {r.in_progress} in progress; completion {rate}; median to outcome {median}"
        )
        if r.outcomes:
            click.echo("  outcomes: " + ", ".join(f"{one_line(o.label)} {o.count}" for o in r.outcomes))
        if r.abandoned_at:
            click.echo(
                "  abandoned at: " + ", ".join(f"{one_line(n.node)} {n.count}" for n in r.abandoned_at)
            )


def _since(text: str | None) -> datetime | None:
    """--since as an aware UTC datetime; InputError naming the option otherwise."""
    from datetime import UTC, datetime

    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"--since: not an ISO date or time: {text!r} (e.g. 2026-11-01)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


trees.add_command(render)
