"""Section-level differences between two versions of a guideline."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from guidelines.model import GuidelineDiff, GuidelineMeta, SectionDiff, SectionLike, sections_by_anchor


def normalise_body(body: str) -> list[str]:
    """Body lines as compared: trailing whitespace and surrounding blank lines do not count."""
    lines = [line.rstrip() for line in body.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def body_diff(guideline: str, old_version: str, new_version: str, anchor: str, old: str, new: str) -> str:
    """Unified diff of two bodies, empty when they are equal once normalised."""
    return "\n".join(
        difflib.unified_diff(
            normalise_body(old),
            normalise_body(new),
            fromfile=f"{guideline}@{old_version}#{anchor}",
            tofile=f"{guideline}@{new_version}#{anchor}",
            lineterm="",
        )
    )


def diff_guidelines(
    guideline: str,
    old_version: str,
    old_sections: Sequence[SectionLike],
    new_version: str,
    new_sections: Sequence[SectionLike],
    old_meta: GuidelineMeta | None = None,
    new_meta: GuidelineMeta | None = None,
) -> GuidelineDiff:
    """Compare two versions anchor by anchor; unchanged sections are left out."""
    old_by_anchor = sections_by_anchor(old_sections)
    new_by_anchor = sections_by_anchor(new_sections)
    entries: list[SectionDiff] = []
    # New-version order first, so the diff reads like the new document; removals follow in old order.
    for section in new_sections:
        previous = old_by_anchor.get(section.anchor)
        if previous is None:
            entries.append(SectionDiff(section.anchor, "added", None, section.title))
            continue
        text = body_diff(guideline, old_version, new_version, section.anchor, previous.body, section.body)
        added, removed = alias_changes(previous.aliases, section.aliases)
        if previous.title != section.title:
            entries.append(
                SectionDiff(section.anchor, "renamed", previous.title, section.title, text, added, removed)
            )
        elif text or added or removed:
            entries.append(
                SectionDiff(section.anchor, "changed", previous.title, section.title, text, added, removed)
            )
    for section in old_sections:
        if section.anchor not in new_by_anchor:
            entries.append(SectionDiff(section.anchor, "removed", section.title, None))
    changes = meta_changes(old_meta, new_meta) if old_meta and new_meta else ()
    return GuidelineDiff(guideline, old_version, new_version, tuple(entries), changes)


def alias_changes(old: Sequence[str], new: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(added, removed) aliases between two versions of a section; a change of case counts as a change."""
    return tuple(a for a in new if a not in old), tuple(a for a in old if a not in new)


def alias_change_line(added: Sequence[str], removed: Sequence[str]) -> str:
    """`aliases: +snark, -irony`, the alias changes of one section as one line."""
    return "aliases: " + ", ".join([f"+{a}" for a in added] + [f"-{r}" for r in removed])


def meta_changes(old: GuidelineMeta, new: GuidelineMeta) -> tuple[str, ...]:
    """Readable lines for changed title, labels, scale, owners and effective date."""
    lines: list[str] = []
    if old.title != new.title:
        lines.append(f'title: "{old.title}" → "{new.title}"')
    lines.extend(_list_changes("labels", old.labels, new.labels))
    if old.scale != new.scale:
        lines.append(f"scale: {old.scale} → {new.scale}")
    lines.extend(_list_changes("owners", old.owners, new.owners))
    if old.effective_date != new.effective_date:
        before = old.effective_date.isoformat() if old.effective_date else "(none)"
        after = new.effective_date.isoformat() if new.effective_date else "(none)"
        lines.append(f"effective_date: {before} → {after}")
    return tuple(lines)


def _list_changes(key: str, old: Sequence[str], new: Sequence[str]) -> list[str]:
    """`key: +added, -removed`, plus a `reordered` line when the kept items changed order."""
    lines: list[str] = []
    added = [item for item in new if item not in old]
    removed = [item for item in old if item not in new]
    if added or removed:
        lines.append(f"{key}: " + ", ".join([f"+{a}" for a in added] + [f"-{r}" for r in removed]))
    kept_old = [item for item in old if item in new]
    kept_new = [item for item in new if item in old]
    # Order carries meaning on ordinal scales, so a pure reordering is a change worth showing.
    if kept_old != kept_new:
        lines.append(f"{key} reordered: {', '.join(old)} → {', '.join(new)}")
    return lines
