"""Which section of a guideline defines each label (so a digest's confusions can cite sections).

A version declares it in its metadata (`label_sections`, checked at publish: the anchor must exist).
For a label it leaves out, only a section titled exactly the label is taken; nothing is guessed from
words, because a guess cites the wrong rule with confidence ("Negative" → the section on negation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SectionTitle:
    """What the rule reads of a section: its anchor and title."""

    anchor: str
    title: str


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def match_label_sections(
    labels: Sequence[str], sections: Sequence[SectionTitle], declared: Mapping[str, str] | None = None
) -> dict[str, tuple[str, str]]:
    """label -> (anchor, title) of its section; sections in document order, labels without one left out.

    1. the anchor the version declares for the label (a declared anchor missing from `sections`, which
       publish refuses, is left out rather than guessed);
    2. else a section titled exactly the label (case and spacing aside), the first such.
    """
    by_anchor = {s.anchor: s for s in sections}
    out: dict[str, tuple[str, str]] = {}
    for label in labels:
        if declared and label in declared:
            found = by_anchor.get(declared[label])
        else:
            found = next((s for s in sections if _same(s.title, label)), None)
        if found is not None:
            out[label] = (found.anchor, found.title)
    return out
