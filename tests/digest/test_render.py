"""Every template renders; the HTML is self-contained and escaped; Markdown carries the same content."""

from __future__ import annotations

import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from bot.jobs.digest import render
from reports.digest import build_digest
from reports.render.context import HtmlContext, as_vars
from reports.render.env import TEMPLATES, environment
from tests.digest.conftest import GENERATED


@pytest.fixture
def digest(data, specs):  # type: ignore[no-untyped-def]
    df, gold = data
    df = df.copy()
    df.loc[df["annotator"] == "ann-01", "annotator"] = "<b>ann & co</b>"
    return build_digest(df, gold, specs, None, release_dates=[date(2026, 10, 5)], n_boot=200)


def test_every_template_renders(digest) -> None:  # type: ignore[no-untyped-def]
    ctx = HtmlContext(digest=digest.to_json(), charts=[], generated="now", title="t")
    names = sorted(p.name for p in TEMPLATES.glob("*.j2"))
    assert "digest.md.j2" in names and "digest.html.j2" in names
    partials = [n for n in names if n.startswith("_")]
    assert partials and all(n.endswith(".html.j2") for n in partials)
    for name in names:
        out = environment().get_template(name).render(**as_vars(ctx))
        assert out.strip(), name


def test_html_is_self_contained_with_every_chart(digest) -> None:  # type: ignore[no-untyped-def]
    html = render(digest, "html", generated=GENERATED)
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "<link" not in html and "<script" not in html
    imgs = re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+"', html)
    # trend, release, p-chart(s), and matrix + confusion heatmaps for both tasks
    assert len(imgs) >= 6
    for chart_id in ("agreement-trend", "release", "matrix-species", "confusion-species", "matrix-grade"):
        assert f'id="chart-{chart_id}"' in html
    assert "&lt;b&gt;ann &amp; co&lt;/b&gt;" in html and "<b>ann" not in html


def test_markdown_has_the_same_content_and_linked_charts(digest, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bare = render(digest, "markdown", generated=GENERATED)
    assert "![" not in bare
    data = digest.to_json()
    for a in data["annotators"]:
        assert a["annotator"].replace("|", "\\|") in bare
    assert "## Flags" in bare and "n/a — not available yet" in bare
    md = render(digest, "markdown", generated=GENERATED, chart_dir=tmp_path / "digest-charts")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert links and all(link.startswith("digest-charts/") and (tmp_path / link).is_file() for link in links)


def test_json_render_round_trips(digest) -> None:  # type: ignore[no-untyped-def]
    assert json.loads(render(digest, "json")) == json.loads(json.dumps(digest.to_json()))
    with pytest.raises(ValueError, match="unknown format"):
        render(digest, "pdf")  # type: ignore[arg-type]


class _Tables(HTMLParser):
    """Each table's header cells and its data rows, as the class of every cell."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, list]] = []  # type: ignore[type-arg]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        if tag == "table":
            self.tables.append({"th": [], "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag == "th":
            self.tables[-1]["th"].append(cls)
        elif tag == "td":
            self.tables[-1]["rows"][-1].append(cls)


def test_every_numeric_column_header_aligns_with_its_cells(digest) -> None:  # type: ignore[no-untyped-def]
    html = render(digest, "html", generated=GENERATED)
    assert re.search(r"th\.n[^{]*\{[^}]*text-align: right", html) or re.search(
        r"td\.n, th\.n \{ text-align: right", html
    )
    parser = _Tables()
    parser.feed(html)
    checked = 0
    for table in parser.tables:
        for row in (r for r in table["rows"] if r):
            assert len(row) == len(table["th"]), table
            assert ["n" in c.split() for c in row] == ["n" in c.split() for c in table["th"]], table
            checked += 1
    assert checked >= 10


def test_the_confusion_colour_bar_reads_in_percent_as_its_label_says(
    digest, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from matplotlib.figure import Figure

    from reports.render.charts import confusion_heatmap

    seen: list[tuple[tuple[float, float], str]] = []
    original = Figure.colorbar

    def spy(self, mappable, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((mappable.get_clim(), kwargs.get("label", "")))
        return original(self, mappable, *args, **kwargs)

    monkeypatch.setattr(Figure, "colorbar", spy)
    task = next(t for t in digest.to_json()["tasks"] if t["task"] == "species")
    assert confusion_heatmap(task) is not None
    [((low, high), label)] = seen
    o = np.array(task["coincidence"], dtype=float)
    share = o / o.sum(axis=1, keepdims=True)
    np.fill_diagonal(share, np.nan)
    assert label.startswith("% of the row's pairings")
    assert low == 0 and high == pytest.approx(np.nanmax(share) * 100)  # percent, not a 0-1 fraction
