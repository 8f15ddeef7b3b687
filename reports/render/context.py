"""Typed contexts: one dataclass per top-level template, passed as its fields."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class ChartRef:
    """A chart as the template sees it: title, caption and an image source (data: URI or file name)."""

    name: str
    title: str
    caption: str
    src: str


@dataclass(frozen=True)
class MarkdownContext:
    """digest.md.j2: the digest JSON and chart files (empty when charts are omitted)."""

    digest: dict[str, Any]
    charts: list[ChartRef]
    generated: str


@dataclass(frozen=True)
class HtmlContext:
    """digest.html.j2: the digest JSON and charts as base64 data URIs."""

    digest: dict[str, Any]
    charts: list[ChartRef]
    generated: str
    title: str


def as_vars(ctx: object) -> dict[str, Any]:
    """The context's fields as template variables (shallow: nested dicts stay dicts)."""
    return {f.name: getattr(ctx, f.name) for f in fields(ctx)}  # type: ignore[arg-type]
