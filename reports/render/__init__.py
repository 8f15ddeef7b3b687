"""Render the digest JSON as JSON text, Markdown or a self-contained HTML report (jinja2 + matplotlib).

Pure: the generation time printed in a report is the caller's (`generated`); no clock is read here.
Choosing a format (and Block Kit) is the caller's too: `bot.jobs.digest.render`.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from reports.digest.model import Digest
from reports.formatters import stamp
from reports.render.charts import Chart, all_charts
from reports.render.context import ChartRef, HtmlContext, MarkdownContext, as_vars
from reports.render.env import environment


def as_json(digest: Digest | dict[str, Any]) -> dict[str, Any]:
    """The JSON contract of a Digest (a dict passes through: renderers work from the contract)."""
    return digest.to_json() if isinstance(digest, Digest) else digest


def render_json(digest: Digest | dict[str, Any]) -> str:
    """The contract as strict JSON text (no NaN), indented, UTF-8 characters kept."""
    return json.dumps(as_json(digest), indent=2, ensure_ascii=False, allow_nan=False)


def render_html(digest: Digest | dict[str, Any], *, generated: datetime) -> str:
    """A self-contained HTML report: inline CSS, charts as base64 PNG, no external URL."""
    data = as_json(digest)
    charts = [
        ChartRef(c.name, c.title, c.caption, "data:image/png;base64," + base64.b64encode(c.png).decode())
        for c in all_charts(data)
    ]
    ctx = HtmlContext(
        digest=data, charts=charts, generated=stamp(generated), title=f"Quality digest — {data['project']}"
    )
    return environment().get_template("digest.html.j2").render(**as_vars(ctx))


def render_markdown(
    digest: Digest | dict[str, Any], *, generated: datetime, chart_dir: Path | None = None
) -> str:
    """Markdown with the same content; with chart_dir the charts are written there and linked as dir/x.png."""
    data = as_json(digest)
    charts: list[ChartRef] = []
    if chart_dir is not None:
        chart_dir.mkdir(parents=True, exist_ok=True)
        for c in all_charts(data):
            charts.append(_write_chart(c, chart_dir))
    ctx = MarkdownContext(digest=data, charts=charts, generated=stamp(generated))
    return environment().get_template("digest.md.j2").render(**as_vars(ctx))


def _write_chart(chart: Chart, folder: Path) -> ChartRef:
    path = folder / f"{chart.name}.png"
    path.write_bytes(chart.png)
    # Linked relative to the folder's parent: the Markdown file is written beside the chart folder.
    return ChartRef(chart.name, chart.title, chart.caption, f"{folder.name}/{path.name}")
