"""The quality digest as a job: read a project's inputs from the store, build the digest, render it.

`annobot digest` and the scheduler share it. The caller owns the clock: it passes the window and the
generation time; the job owns the session (one transaction for the read) and the choice of format.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.errors import InputError
from bot.jobs.flag_figures import Taxonomy, read_figures, taxonomy
from bot.slack.digest.builder import digest_message
from bot.store.db import session_scope
from bot.store.digest_reads import digest_inputs
from bot.store.feedback import current_version, unanswered
from bot.store.items import text_lengths
from bot.store.projects import get_project
from bot.store.tree_walks import walk_steps
from bot.store.trees import list_trees
from reports.digest import Digest, Settings, build_digest
from reports.digest.questions import Question, questions_json
from reports.digest.sections import Section, SectionResult
from reports.flags.summary import TOP_SECTIONS
from reports.metrics.result import MIN_PAIRABLE
from reports.render import render_html, render_json, render_markdown
from reports.trees import stats_to_json, tree_stats

Format = Literal["json", "markdown", "html", "blocks"]
FORMATS: tuple[Format, ...] = ("json", "markdown", "html", "blocks")
SUFFIXES: dict[str, str] = {"json": ".json", "markdown": ".md", "html": ".html", "blocks": ".blocks.json"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class EmptyWindowError(InputError):
    """The project has no annotations in the asked window: there is nothing to digest."""


@dataclass(frozen=True)
class DigestRequest:
    """One digest to make: project, window (None, None: all), format, and the caller's clock and zone."""

    project: str
    start: datetime | None
    end: datetime | None
    fmt: Format
    generated: datetime  # printed in Markdown and HTML, in the zone `tz`
    tz: str = "UTC"  # IANA zone of the digest's days ([reports] timezone)
    chart_dir: Path | None = None  # Markdown only: write the charts here and link them
    report_url: str | None = None  # blocks only: the "Open full report" button
    flag_taxonomy: Taxonomy | None = None  # the project's flag reasons (None: default weights, ids)
    min_pairable: int = MIN_PAIRABLE  # [reports] min_pairable
    ordinal_weights: str = "quadratic"  # [reports] ordinal_weights


def render(
    digest: Digest | dict[str, Any],
    fmt: Format,
    *,
    generated: datetime | None = None,
    chart_dir: Path | None = None,
    report_url: str | None = None,
) -> str:
    """The digest as text in any format; blocks come as the JSON of one message's `text` and `blocks`."""
    if fmt == "json":
        return render_json(digest)
    if fmt == "blocks":
        return json.dumps(digest_message(digest, report_url), ensure_ascii=False, indent=2)
    if fmt in ("markdown", "html"):
        if generated is None:
            raise ValueError(f"{fmt} prints when it was generated: pass generated=")
        if fmt == "markdown":
            return render_markdown(digest, generated=generated, chart_dir=chart_dir)
        return render_html(digest, generated=generated)
    raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")


def compute_digest(
    engine: Engine,
    project: str,
    start: datetime | None,
    end: datetime | None,
    *,
    tz: str = "UTC",
    now: datetime | None = None,
    flag_taxonomy: Taxonomy | None = None,
    settings: Settings | None = None,
    from_rows: bool = False,
) -> Digest:
    """Read the project's window (None, None: all) and its context in one transaction, then build it.

    `now` is the caller's clock (flag scores decay to it, the oldest open case is aged at it); edges pass
    it, and only a caller without one has it read here. `from_rows` computes the drift baseline and the
    previous window from every row instead of the stored aggregates (the reference; same figures).
    """
    # The store compares instants in UTC (SQLite keeps them as UTC text, without an offset).
    start, end = (None if t is None else t.astimezone(UTC) for t in (start, end))
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    with session_scope(engine) as session:
        inputs = digest_inputs(session, project, start, end, tz, from_rows=from_rows)
        lengths = _span_item_lengths(session, project, inputs.annotations)
        trees = _trees_section(session, project, start, end)
        flags = _flags_section(session, project, start, end, moment, flag_taxonomy or taxonomy(None))
        questions = _questions_section(session, project, start, end)
    if inputs.annotations.empty:
        raise EmptyWindowError(f"project '{project}' has no annotations in the window")
    return build_digest(
        inputs.annotations,
        inputs.gold,
        inputs.tasks,
        None if start is None or end is None else (start, end),
        project=project,
        aggregates=inputs.aggregates,
        release_dates=inputs.release_dates,
        tz=tz,
        sections=[trees, flags, questions],
        settings=settings,
        item_lengths=lengths,
    )


def _span_item_lengths(session: Session, project: str, annotations: Any) -> dict[str, int] | None:
    """Text lengths of the window's span items (alpha over character positions), None without spans."""
    if "span_start" not in annotations.columns or not annotations["span_start"].notna().any():
        return None
    items = annotations.loc[annotations["span_start"].notna(), "item"].astype(str).unique().tolist()
    return text_lengths(session, project, items)


def _trees_section(session: Session, project: str, start: datetime | None, end: datetime | None) -> Section:
    """The `trees` section: usage of the project's guideline's trees in the window (reports.trees)."""
    slug = get_project(session, project).guideline
    current = list_trees(session, slug)
    steps = walk_steps(session, start, trees=[t.ref for t in current])
    if end is not None:
        steps = steps[steps["at"] < end]
    as_of = end or datetime.now(UTC)  # walks idle 30 minutes before the window's end are abandoned
    value = stats_to_json(tree_stats(steps, as_of, expected=[(t.ref, t.version) for t in current]))
    result = (
        SectionResult(value) if current else SectionResult(None, f"guideline {slug} has no decision trees")
    )
    return Section("trees", "Decision-tree usage", lambda _: result)


def _flags_section(
    session: Session,
    project: str,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
    tax: Taxonomy,
) -> Section:
    """The `flags` section: the window's flags, cases and guideline hot spots (docs/digest.md)."""
    value, reason = read_figures(session, project, start, end, now, tax, top=TOP_SECTIONS)
    result = SectionResult(value, reason)
    return Section("flags", "Flags", lambda _: result)


def _questions_section(
    session: Session, project: str, start: datetime | None, end: datetime | None
) -> Section:
    """The `questions` section: questions marked "None of these" that the project's guideline did not answer."""
    slug = get_project(session, project).guideline
    if not slug or current_version(session, slug) is None:
        result = SectionResult(None, f"project '{project}' has no published guideline")
    else:
        rows = [
            Question(r.question, r.version, r.channel, r.times, r.last_asked)
            for r in unanswered(session, since=start, until=end, guideline=slug)
        ]
        result = SectionResult(questions_json(slug, rows))
    return Section("questions", "Questions the guideline did not answer", lambda _: result)


def digest_job(engine: Engine, request: DigestRequest) -> str:
    """The digest of `request` as text (a worker job: its argument and result pickle)."""
    settings = Settings(min_pairable=request.min_pairable, ordinal_weights=request.ordinal_weights)
    digest = compute_digest(
        engine,
        request.project,
        request.start,
        request.end,
        tz=request.tz,
        now=request.generated,
        flag_taxonomy=request.flag_taxonomy,
        settings=settings,
    )
    return render(
        digest,
        request.fmt,
        generated=request.generated.astimezone(ZoneInfo(request.tz)),
        chart_dir=request.chart_dir,
        report_url=request.report_url,
    )


def report_name(project: str, fmt: Format, generated: datetime, tz: str = "UTC") -> str:
    """A file name for a saved report: '<project>-<local date>-<HHMM><suffix>', safe on any filesystem."""
    local = generated.astimezone(ZoneInfo(tz))
    stem = _UNSAFE.sub("-", project).strip("-.") or "digest"
    return f"{stem}-{local:%Y-%m-%d-%H%M}{SUFFIXES[fmt]}"


def chart_dir_for(path: Path, fmt: Format) -> Path | None:
    """Where a Markdown report's charts go: '<stem>-charts/' beside the file (no charts in other formats)."""
    return path.parent / (path.stem + "-charts") if fmt == "markdown" else None


def write_report(text: str, path: Path) -> None:
    """Write a rendered report, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
