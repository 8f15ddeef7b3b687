"""The one jinja2 Environment for digest templates, with the shared formatters as filters."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reports import formatters

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


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
    env.filters.update(
        pct=formatters.pct,
        num=formatters.num,
        signed=formatters.signed,
        count=formatters.count,
        duration=formatters.duration,
        ci=formatters.ci,
        interval=formatters.interval,
        arrow=formatters.arrow,
        md=formatters.md_cell,
    )
    return env
