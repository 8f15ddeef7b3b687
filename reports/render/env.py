"""The one jinja2 Environment for digest templates, with the number filters they share."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
ARROWS = {"up": "↑", "down": "↓", "flat": "→", None: ""}


def pct(x: float | None, digits: int = 0) -> str:
    """0.713 -> '71%'; None -> 'n/a'."""
    return "n/a" if x is None else f"{x * 100:.{digits}f}%"


def num(x: float | None, digits: int = 3) -> str:
    """A coefficient to `digits` places; None -> 'n/a'."""
    return "n/a" if x is None else f"{x:.{digits}f}"


def ci(pair: list[float] | None) -> str:
    """[0.62, 0.79] -> '62–79%'; None -> ''."""
    return "" if not pair else f"{pair[0] * 100:.0f}–{pair[1] * 100:.0f}%"


def arrow(trend: str | None) -> str:
    """Trend word to an arrow."""
    return ARROWS.get(trend, "")


def md_cell(x: Any) -> str:
    """Text safe in a Markdown table cell (pipes and newlines escaped)."""
    return str(x).replace("|", "\\|").replace("\n", " ")


@cache
def environment() -> Environment:
    """The shared Environment: StrictUndefined everywhere, autoescape for .html.j2 only."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(pct=pct, num=num, ci=ci, arrow=arrow, md=md_cell)
    return env
