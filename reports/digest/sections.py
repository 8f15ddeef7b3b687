"""A registry of optional digest sections (flags, decision-tree usage, acknowledgements, ...).

A section is a name and a function of the digest inputs returning JSON (or None with a reason). Adding one
is `register(Section(...))` in its own module, or passing it to `build_digest(sections=...)`; the core parts
and the other sections are untouched, and renderers show any section generically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class SectionInput:
    """What a section may read: the window's annotations, gold, task specs and window."""

    annotations: pd.DataFrame
    gold: pd.DataFrame
    tasks: dict[str, Any]
    window: Any


@dataclass(frozen=True)
class SectionResult:
    """A section's JSON value, or None with the reason it is absent."""

    value: Any
    reason: str | None = None


@dataclass(frozen=True)
class Section:
    """A named digest section; `title` is what renderers print above it."""

    name: str
    title: str
    compute: Callable[[SectionInput], SectionResult]


def _pending(issue: str) -> Callable[[SectionInput], SectionResult]:
    def compute(_: SectionInput) -> SectionResult:
        return SectionResult(None, f"not available yet: arrives with {issue}")

    return compute


_REGISTRY: dict[str, Section] = {}


def register(section: Section) -> None:
    """Add or replace a section in the default registry."""
    _REGISTRY[section.name] = section


def registered() -> list[Section]:
    """The default sections, in registration order."""
    return list(_REGISTRY.values())


# Placeholders until the capabilities land: the contract always has these keys (null with a reason).
register(Section("flags", "Flags", _pending("the flags capability")))
register(Section("trees", "Decision-tree usage", _pending("the decision-tree capability")))
register(
    Section("questions", "Questions the guideline did not answer", _pending("/guide feedback in the store"))
)


def compute_sections(
    inputs: SectionInput, extra: Iterable[Section] = ()
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Values by name, reasons for absent ones, and titles; `extra` sections override same-named ones."""
    chosen = {s.name: s for s in registered()}
    chosen.update({s.name: s for s in extra})
    values: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    titles: dict[str, str] = {}
    for name, section in chosen.items():
        result = section.compute(inputs)
        values[name] = result.value
        titles[name] = section.title
        if result.value is None:
            reasons[name] = result.reason or "no data"
    return values, reasons, titles
