"""Matplotlib charts from the digest JSON, as PNG bytes; the HTML embeds them base64.

Each chart is its own `matplotlib.figure.Figure`, saved through the Agg canvas: no pyplot, so no global
figure registry or current-figure state, and charts can be drawn from several threads at once (the
scheduler's) without one thread's figure leaking into another's.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

INK = "#1f2933"
ACCENT = "#2563eb"
WARN = "#dc2626"
MUTED = "#9aa5b1"
MAX_P_CHARTS = 6
MAX_MATRIX = 60


@dataclass(frozen=True)
class Chart:
    """One chart: a stable name (file stem), a title, a caption and the PNG."""

    name: str
    title: str
    caption: str
    png: bytes


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    """A new figure with one axes; nothing global holds it, so it is freed with its last reference."""
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def _style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(colors=INK, labelsize=8)
    ax.grid(axis="y", color="#e4e7eb", linewidth=0.8)


def agreement_trend(digest: dict[str, Any]) -> Chart | None:
    """Daily alpha per task with the reliability bands."""
    tasks = [t for t in digest["tasks"] if any(d["alpha"] is not None for d in t["daily"])]
    if not tasks:
        return None
    fig, ax = _figure(9, 3)
    ax.axhspan(0.8, 1.0, color="#dcfce7", zorder=0)
    ax.axhspan(0.667, 0.8, color="#fef9c3", zorder=0)
    for t in tasks:
        xs = [np.datetime64(d["day"]) for d in t["daily"]]
        ys = [d["alpha"] if d["alpha"] is not None else np.nan for d in t["daily"]]
        ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.5, label=t["task"])
    ax.set_ylabel("Krippendorff's alpha", fontsize=8)
    lows = [d["alpha"] for t in tasks for d in t["daily"] if d["alpha"] is not None]
    ax.set_ylim(min(0.5, min(lows) - 0.05), 1.0)
    _style(ax)
    fig.autofmt_xdate()
    if len(tasks) > 1:
        ax.legend(fontsize=8, frameon=False)
    cap = "Alpha among each day's ratings; green: reliable (≥ 0.8), yellow: tentative (≥ 0.667)."
    return Chart("agreement-trend", "Agreement trend", cap, _png(fig))


def _series(pts: list[dict[str, Any]], key: str) -> list[float]:
    return [p[key] if p[key] is not None else np.nan for p in pts]


def p_charts(digest: dict[str, Any]) -> list[Chart]:
    """Error-rate p-chart with control limit and EWMA, one per flagged annotator (most severe first)."""
    order: list[tuple[str, str]] = []
    for a in digest["drift"]:
        key = (a["task"], a["annotator"])
        if key not in order:
            order.append(key)
    charts = []
    for task, ann in order[:MAX_P_CHARTS]:
        pts = [p for p in digest["drift_points"] if p["task"] == task and p["annotator"] == ann]
        if not pts:
            continue
        source = next(a["source"] for a in digest["drift"] if a["task"] == task and a["annotator"] == ann)
        source = source.split("+")[0]  # a CUSUM over gold and consensus ("gold+consensus"): gold's chart
        pts = [p for p in pts if p["source"] == source]
        xs = [np.datetime64(p["day"]) for p in pts]
        fig, ax = _figure(9, 2.6)
        ax.plot(
            xs, _series(pts, "p"), marker="o", markersize=3, color=INK, linewidth=1, label="daily error rate"
        )
        ax.step(
            xs,
            _series(pts, "ucl"),
            where="mid",
            color=WARN,
            linewidth=1,
            linestyle="--",
            label="control limit",
        )
        ax.plot(xs, _series(pts, "center"), color=MUTED, linewidth=1, label="baseline")
        ax.plot(xs, _series(pts, "ewma"), color=ACCENT, linewidth=1.2, label="EWMA")
        fired = [(x, p["p"]) for x, p in zip(xs, pts, strict=True) if p["rule"]]
        if fired:
            ax.scatter(*zip(*fired, strict=True), color=WARN, s=30, zorder=5, label="signal")
        what = "gold error rate" if source == "gold" else "disagreement with majority"
        ax.set_ylabel(what, fontsize=8)
        _style(ax)
        ax.legend(fontsize=7, frameon=False, ncol=5, loc="upper left")
        fig.autofmt_xdate()
        name = f"p-chart-{task}-{ann}"
        charts.append(
            Chart(name, f"{ann} ({task})", f"p-chart of the {what}; red dots are signals.", _png(fig))
        )
    return charts


def matrix_heatmap(task: dict[str, Any]) -> Chart | None:
    """Annotator x annotator exact-match agreement (blank where never co-labelled)."""
    m = task["matrix"]
    names = m["annotators"][:MAX_MATRIX]
    if len(names) < 2:
        return None
    k = len(names)
    pct = np.array(
        [[x if x is not None else np.nan for x in row[:k]] for row in m["percent"][:k]], dtype=float
    )
    if not np.isfinite(pct).any():
        return None  # nothing co-labelled, or a span task (no item-level agreement to draw)
    size = min(9, 2 + 0.22 * k)
    fig, ax = _figure(size + 1.2, size)
    im = ax.imshow(pct, cmap="viridis", vmin=np.nanmin(pct), vmax=1)
    ax.set_xticks(range(k), names, rotation=90, fontsize=max(4, 9 - k // 8))
    ax.set_yticks(range(k), names, fontsize=max(4, 9 - k // 8))
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="exact agreement")
    cap = "Share of co-labelled items on which two annotators gave the same label."
    return Chart(f"matrix-{task['task']}", f"Agreement matrix — {task['task']}", cap, _png(fig))


def confusion_heatmap(task: dict[str, Any]) -> Chart | None:
    """Label x label coincidences (Krippendorff's o_ck), diagonal dimmed, as a share of each row."""
    o = np.array(task["coincidence"], dtype=float)
    if o.sum() == 0:
        return None
    labels = task["labels"]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = o / o.sum(axis=1, keepdims=True)
    off = share * 100  # percent, as the cell numbers and the colour bar's label read
    np.fill_diagonal(off, np.nan)
    k = len(labels)
    fig, ax = _figure(2 + 0.6 * k, 1.6 + 0.55 * k)
    im = ax.imshow(off, cmap="Reds", vmin=0)  # off-diagonal only: agreement would swamp the scale
    for i in range(k):
        for j in range(k):
            if np.isfinite(share[i, j]) and share[i, j] >= 0.005:
                ax.text(
                    j,
                    i,
                    f"{share[i, j] * 100:.0f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color=MUTED if i == j else ("white" if off[i, j] > 0.6 * np.nanmax(off) else INK),
                )
    ax.set_xticks(range(k), labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(k), labels, fontsize=8)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="% of the row's pairings (off the diagonal)")
    cap = "Row label paired with column label within an item (percent of the row); diagonal is agreement."
    return Chart(f"confusion-{task['task']}", f"Confusions — {task['task']}", cap, _png(fig))


def release_chart(digest: dict[str, Any]) -> Chart | None:
    """Alpha before vs after each guideline release, with the change's 95% interval."""
    rows = [r for r in digest["releases"] if r["change"] is not None]
    if not rows:
        return None
    fig, ax = _figure(6, 0.9 + 0.7 * len(rows))
    for i, r in enumerate(rows):
        b, a = r["before"]["value"], r["after"]["value"]
        ax.plot([b, a], [i, i], color=MUTED, linewidth=2, zorder=1)
        ax.scatter([b], [i], color=MUTED, s=50, zorder=2, label="before" if i == 0 else None)
        ax.scatter(
            [a], [i], color=ACCENT if a >= b else WARN, s=50, zorder=3, label="after" if i == 0 else None
        )
        ci = r["ci"]
        txt = f"{r['change']:+.3f}" + (f" (95% CI {ci[0]:+.3f} to {ci[1]:+.3f})" if ci else "")
        ax.annotate(txt, (max(a, b), i), xytext=(8, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [f"{r['task']} @ {r['date']}" for r in rows], fontsize=8)
    ax.set_xlabel("Krippendorff's alpha", fontsize=8)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    lo = min(min(r["before"]["value"], r["after"]["value"]) for r in rows)
    hi = max(max(r["before"]["value"], r["after"]["value"]) for r in rows)
    ax.set_xlim(lo - 0.05, hi + 0.15)
    _style(ax)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    cap = "Alpha before → after the release; the change's interval is a bootstrap over items."
    return Chart("release", "Before / after guideline release", cap, _png(fig))


def all_charts(digest: dict[str, Any]) -> list[Chart]:
    """Every chart the digest supports, in report order (absent ones skipped)."""
    out: list[Chart | None] = [agreement_trend(digest), release_chart(digest)]
    out += p_charts(digest)
    for t in digest["tasks"]:
        out += [matrix_heatmap(t), confusion_heatmap(t)]
    return [c for c in out if c is not None]
