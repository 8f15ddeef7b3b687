"""`annobot flags`: disagreement cases in the terminal, and the adjudicated labels as a file."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli import one_line
from bot.cli.output import since_option
from bot.errors import InputError
from reports.flags.input import CASE_STATUSES

if TYPE_CHECKING:
    from bot.cli.state import CliState
    from bot.store.flags import CaseRecord


@click.group("flags")
def flags() -> None:
    """Disagreement flags: list cases, export adjudicated labels, guideline hot spots."""


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


@flags.command("stats")
@click.option("--project", help="Only this project's flags (default: every project's).")
@click.option("--since", help="Window start, ISO 8601 (end: now; default: 30 days back); no offset: local.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the figures as JSON (null when there are no flags)."
)
@click.pass_obj
def stats_cmd(state: CliState, project: str | None, since: str | None, as_json: bool) -> None:
    """Guideline hot spots: the sections flagged most (weighted by reason, recent first), open, filed and
    resolved cases, median time to resolution.

    Example: annobot flags stats --project reviews-q4 --since 2026-11-01 --json
    """
    from bot.jobs.flag_figures import project_taxonomy
    from bot.jobs.flag_stats import stats_figures

    now = datetime.now(UTC)  # the CLI is the edge that reads the clock
    start = since_option(since, state.config.reports.timezone)
    if start is not None and start >= now:
        raise InputError(f"--since: {since} is not in the past")
    tax = project_taxonomy(state.config, project)
    figures, reason = stats_figures(
        state.engine(), project, now, weights=tax.weights, labels=tax.labels, since=start
    )
    if as_json:
        from bot.cli.output import emit_json

        emit_json(figures)
        return
    if figures is None:
        click.echo(one_line(reason or "no flags"))
        return
    for line in stats_lines(figures, project):
        click.echo(one_line(line))


def stats_lines(f: dict[str, Any], project: str | None) -> list[str]:
    """The figures for a person: the window, the counts, the oldest open case, the ranked sections."""
    from reports.formatters import duration, num

    lines = [
        f"flag hot spots, {project or 'all projects'}, {f['since'][:16]} to {f['until'][:16]} (UTC)",
        f"open cases {f['open_cases']}  filed {f['filed']}  resolved {f['resolved']}  "
        f"median time to resolution {duration(f['median_seconds_to_resolution'])}",
    ]
    if (o := f["oldest_open"]) is not None:
        lines.append(
            f"oldest open: case #{o['case_id']}, item {o['item_id']}, waiting {duration(o['age_seconds'])}"
        )
    spots = list(f["hot_spots"]) + ([f["no_section"]] if f["no_section"] else [])
    for i, s in enumerate(spots, start=1):
        rank = f"{i:>2}." if s["anchor"] is not None else "   "
        title = f"{s['title']}  " if s.get("title") else ""
        versions = ", ".join(s["versions"])
        lines.append(
            f"{rank} {title}{s['label']} ({versions})  score {num(s['score'], 2)}  {s['flags']} flags  "
            f"{s['open_cases']}/{s['cases']} cases open  median {duration(s['median_seconds_to_resolution'])}"
        )
    if f["other_sections"]["sections"]:
        rest = f["other_sections"]
        lines.append(f"    …and {rest['sections']} more sections with {rest['flags']} flags")
    if f["reasons"]:
        lines.append("reasons: " + ", ".join(f"{r['label']} {r['flags']}" for r in f["reasons"]))
    return lines
