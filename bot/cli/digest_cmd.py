"""`annobot digest`: the quality digest of a project, in any format (a shell over bot.jobs.digest)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from bot.cli.state import CliState
from bot.errors import InputError

# bot.jobs.digest.FORMATS (tests/cli/test_startup.py checks they agree): the job loads pandas,
# matplotlib and jinja2, which `annobot digest --help` and a bad option do not need.
FORMATS = ("json", "markdown", "html", "blocks")

_WINDOW = re.compile(r"^(\d+)([dh])$")


def parse_window(
    since: str | None, window: str | None, all_: bool, now: datetime, tz: str = "UTC"
) -> tuple[datetime | None, datetime | None]:
    """(start, end) of the digest window in zone `tz` (a naive --since is local); (None, None) for all."""
    given = [name for name, value in (("--since", since), ("--window", window), ("--all", all_)) if value]
    if len(given) > 1:
        raise InputError(f"{' and '.join(given)} exclude each other: give one")
    if all_:
        return None, None
    zone = ZoneInfo(tz)
    end = now.astimezone(zone)
    if since:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            raise InputError(f"--since: not an ISO 8601 date or time: {since!r}") from None
        return (start.astimezone(zone) if start.tzinfo else start.replace(tzinfo=zone)), end
    m = _WINDOW.match(window or "7d")
    if not m:
        raise InputError(f"--window: expected a number of days or hours like 7d or 12h, got {window!r}")
    n = int(m.group(1))
    # Back from now in elapsed time (not wall-clock), so a DST change never makes an hour vanish or repeat.
    back = timedelta(days=n) if m.group(2) == "d" else timedelta(hours=n)
    return (now.astimezone(UTC) - back).astimezone(zone), end


def _saved_path(save: str, output_dir: Path, project: str, fmt: str, now: datetime, tz: str) -> Path:
    """Where --save writes: output_dir/NAME, or output_dir/<project>-<date>-<HHMM><suffix> without NAME."""
    from bot.jobs.digest import report_name

    if not save:
        return output_dir / report_name(project, fmt, now, tz)  # type: ignore[arg-type]
    if Path(save).name != save or save in (".", ".."):
        raise InputError(
            f"--save takes a bare file name (it is written in [reports] output_dir), got {save!r}"
        )
    return output_dir / save


@click.command("digest")
@click.option("--project", required=True, help="Project name (see `annobot projects list`).")
@click.option("--since", help="Window start, ISO 8601 (end: now); a date or time without offset is local.")
@click.option("--window", help="Window length back from now, e.g. 7d or 24h (default 7d).")
@click.option("--all", "all_", is_flag=True, help="Use every annotation of the project.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="markdown", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), help="Write to this file instead of stdout.")
@click.option(
    "--save",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[NAME]",
    help="Write into [reports] output_dir instead of stdout: as NAME, or <project>-<date>-<HHMM>.<ext>.",
)
@click.option(
    "--min-pairable",
    type=click.IntRange(min=1),
    default=None,
    help="Fewest pairable items for a coefficient (default: [reports] min_pairable, 20).",
)
@click.option(
    "--ordinal-weights",
    type=click.Choice(["linear", "quadratic"]),
    default=None,
    help="Cohen's kappa weights on ordinal scales (default: [reports] ordinal_weights, quadratic).",
)
@click.pass_obj
def digest(
    state: CliState,
    project: str,
    since: str | None,
    window: str | None,
    all_: bool,
    fmt: str,
    out: Path | None,
    save: str | None,
    min_pairable: int | None,
    ordinal_weights: str | None,
) -> None:
    """Compute the quality digest of a project: agreement, gold accuracy, drift, confusions.

    Days (daily trend, drift, the window) are in [reports] timezone (default UTC).

    Example: annobot digest --project reviews-q4 --window 7d --format html --out digest.html

    Example (a small calibration set): annobot digest --project calib --all --min-pairable 2 --format json
    """
    from bot.jobs.digest import DigestRequest, EmptyWindowError, chart_dir_for, digest_job, write_report
    from bot.jobs.flag_figures import project_taxonomy

    if out is not None and save is not None:
        raise InputError("--out and --save exclude each other: give one")
    reports = state.config.reports
    now = datetime.now(UTC)  # the CLI is the edge that reads the clock
    start, end = parse_window(since, window, all_, now, reports.timezone)
    path = out if save is None else _saved_path(save, reports.output_dir, project, fmt, now, reports.timezone)
    request = DigestRequest(
        project=project,
        start=start,
        end=end,
        fmt=fmt,  # type: ignore[arg-type]
        generated=now,
        tz=reports.timezone,
        chart_dir=chart_dir_for(path, fmt) if path is not None else None,  # type: ignore[arg-type]
        flag_taxonomy=project_taxonomy(state.config, project),
        min_pairable=min_pairable or reports.min_pairable,
        ordinal_weights=ordinal_weights or reports.ordinal_weights,
    )
    try:
        text = digest_job(state.engine(), request)
    except EmptyWindowError as exc:
        raise InputError(f"{exc.message}; try --all") from None
    if path is None:
        click.echo(text)
    else:
        write_report(text, path)
        click.echo(f"wrote {path}")
