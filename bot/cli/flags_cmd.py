"""`annobot flags`: disagreement cases in the terminal, and the adjudicated labels as a file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli import one_line
from reports.flags.input import CASE_STATUSES

if TYPE_CHECKING:
    from bot.cli.state import CliState
    from bot.store.flags import CaseRecord


@click.group("flags")
def flags() -> None:
    """Disagreement flags: list cases, export adjudicated labels."""


@flags.command("list")
@click.option("--project", help="Only this project's cases.")
@click.option("--status", type=click.Choice(CASE_STATUSES), help="Only cases in this state.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON: the cases with their flags, events, decision."
)
@click.pass_obj
def list_cmd(state: CliState, project: str | None, status: str | None, as_json: bool) -> None:
    """List flag cases, oldest first, with their flags and decision.

    Example: annobot flags list --project reviews-q4 --status open
    """
    from bot.store.flags import list_cases

    with state.session() as session:
        cases = list_cases(session, project=project, status=status)
    if as_json:
        from bot.cli.output import emit_json

        emit_json([case_json(c) for c in cases])
        return
    if not cases:
        click.echo("no flag cases")
        return
    for c in cases:
        click.echo(one_line(case_line(c)))


def case_line(c: CaseRecord) -> str:
    """One case for a person: id, project, item, state, who, how many flags, why, where."""
    reasons = ", ".join(dict.fromkeys(f.reason for f in c.flags))
    sections = ", ".join(dict.fromkeys(f"{f.guideline}@{f.version}#{f.anchor or '-'}" for f in c.flags))
    parts = [
        f"#{c.id}",
        c.project,
        f"item {c.item_id}",
        c.status + (f" ({c.assignee})" if c.assignee else ""),
        f"{len(c.flags)} flag{'s' * (len(c.flags) != 1)}",
        f"opened {c.opened_at:%Y-%m-%d %H:%M} UTC",
        f"reasons: {reasons}",
        f"sections: {sections}",
    ]
    if c.decision is not None:
        parts.append(f"decided: {c.decision.final_label} ({c.decision.outcome}) by {c.decision.decided_by}")
    return "  ".join(parts)


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def case_json(c: CaseRecord) -> dict[str, Any]:
    """The JSON contract of one case."""
    d = c.decision
    return {
        "id": c.id,
        "project": c.project,
        "item_id": c.item_id,
        "status": c.status,
        "assignee": c.assignee,
        "opened_at": _iso(c.opened_at),
        "resolved_at": _iso(c.resolved_at),
        "flags": [
            {
                "id": f.id,
                "filed_by": f.filed_by,
                "filed_at": _iso(f.filed_at),
                "my_label": f.my_label,
                "other_labels": [
                    {"label": o.label, "source": o.source, "who": o.who} for o in f.other_labels
                ],
                "reason": f.reason,
                "guideline": f.guideline,
                "version": f.version,
                "anchor": f.anchor,
                "comment": f.comment,
                "permalink": f.permalink,
            }
            for f in c.flags
        ],
        "events": [
            {"kind": e.kind, "by": e.by, "at": _iso(e.at), "text": e.text, "assignee": e.assignee}
            for e in c.events
        ],
        "decision": None
        if d is None
        else {
            "task": d.task,
            "final_label": d.final_label,
            "outcome": d.outcome,
            "note": d.note,
            "section_to_change": d.section_to_change,
            "add_to_gold": d.add_to_gold,
            "decided_by": d.decided_by,
            "decided_at": _iso(d.decided_at),
        },
    }


@flags.command("export")
@click.option("--format", "fmt", type=click.Choice(("csv", "jsonl")), required=True, help="File format.")
@click.option("--project", help="The project (needed when several have adjudicated labels).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (default: stdout).")
@click.option(
    "--annotator",
    default="adjudicated",
    show_default=True,
    help="The annotator id the labels are written under (annotations shape).",
)
@click.option(
    "--gold", is_flag=True, help="Write gold answers (task, item_id, label) for 'annobot import gold'."
)
@click.pass_obj
def export_cmd(
    state: CliState, fmt: str, project: str | None, out: Path | None, annotator: str, gold: bool
) -> None:
    """Export each item's adjudicated label in the columns 'annobot import' reads back.

    Annotations shape by default (task, item_id, annotator, label, created_at = the decision time);
    with --gold, gold answers. Example: annobot flags export --project reviews-q4 --format csv --out adj.csv
    """
    from bot.imports.adjudicated import export_adjudicated

    n = export_adjudicated(
        state.engine(),
        fmt,
        out if out is not None else sys.stdout,
        project=project,
        annotator=annotator,
        gold=gold,
    )
    if out is not None:
        click.echo(f"exported {n} adjudicated label{'s' * (n != 1)} to {out}")
