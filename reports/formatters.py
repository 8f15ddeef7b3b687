"""How the digest's numbers read, in one place: Markdown, HTML, Block Kit and alert sentences share these."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

NA = "n/a"
ARROWS: dict[str | None, str] = {"up": "↑", "down": "↓", "flat": "→", None: ""}


def pct(x: float | None, digits: int = 0) -> str:
    """0.713 -> '71%'; None -> 'n/a'."""
    return NA if x is None else f"{x * 100:.{digits}f}%"


def num(x: float | None, digits: int = 3) -> str:
    """A coefficient to `digits` places; None -> 'n/a'."""
    return NA if x is None else f"{x:.{digits}f}"


def signed(x: float | None, digits: int = 3) -> str:
    """A change with its sign: 0.0421 -> '+0.042'; None -> 'n/a'."""
    return NA if x is None else f"{x:+.{digits}f}"


def count(n: int) -> str:
    """A count with thousands separators: 12400 -> '12,400'."""
    return f"{n:,}"


def duration(seconds: float | None) -> str:
    """A wait: 90 -> '2 min', 5400 -> '1.5 h', 259200 -> '3.0 days'; None -> 'n/a'."""
    if seconds is None:
        return NA
    if seconds < 3600:
        return f"{max(0.0, seconds) / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def ci(pair: Sequence[float] | None) -> str:
    """A rate's interval as whole percents: [0.62, 0.79] -> '62–79%'; None -> ''."""
    return "" if not pair else f"{pair[0] * 100:.0f}–{pair[1] * 100:.0f}%"


def interval(pair: Sequence[float] | None, digits: int = 2) -> str:
    """A ratio's or coefficient's interval: [0.91, 1.4] -> '0.91–1.40'; None -> ''."""
    return "" if not pair else f"{pair[0]:.{digits}f}–{pair[1]:.{digits}f}"


def arrow(trend: str | None) -> str:
    """Trend word ('up', 'down', 'flat') to an arrow; anything else -> ''."""
    return ARROWS.get(trend, "")


def short_day(d: date) -> str:
    """'18 Nov'."""
    return f"{d.day} {d:%b}"


def stamp(moment: datetime) -> str:
    """A generation time as '2026-11-20 07:30 UTC' in its own zone (naive: taken as UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.strftime("%Y-%m-%d %H:%M %Z")


def md_cell(x: Any) -> str:
    """Text safe in a Markdown table cell (pipes and newlines escaped)."""
    return str(x).replace("|", "\\|").replace("\n", " ")
