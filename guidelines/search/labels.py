"""Which section of a guideline explains each label (so a digest's confusions can cite sections).

Until guidelines declare the mapping themselves, it is inferred from the sections' words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from guidelines.search.ranking import stems


@dataclass(frozen=True)
class SectionWords:
    """What the rule reads of a section: its anchor and title, and its title and body as stems."""

    anchor: str
    title: str
    title_stems: tuple[str, ...]
    body_stems: tuple[str, ...]


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def match_label_sections(
    labels: Sequence[str], sections: Sequence[SectionWords]
) -> dict[str, tuple[str, str]]:
    """label -> (anchor, title) of its section; sections in document order, labels without one left out.

    For each label, the first rule that finds a section decides (ties go to the earlier section):
    1. a section titled exactly the label (case and spacing aside);
    2. a section whose title has every stem of the label, the shortest such title;
    3. the section whose body mentions the label's stems most often (all of them at least once).
    """
    out: dict[str, tuple[str, str]] = {}
    for label in labels:
        found = next((s for s in sections if _same(s.title, label)), None)
        words = set(stems(label))
        if found is None and words:
            titled = [s for s in sections if words <= set(s.title_stems)]
            found = min(titled, key=lambda s: len(s.title_stems), default=None)
        if found is None and words:
            best = 0
            for s in sections:
                if words <= set(s.body_stems):
                    n = sum(1 for w in s.body_stems if w in words)
                    if n > best:
                        found, best = s, n
        if found is not None:
            out[label] = (found.anchor, found.title)
    return out
