"""Plain data types for guideline documents, shared by the parser, the store and the renderers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from guidelines.trees.model import Tree

Scale = Literal["nominal", "ordinal", "interval"]
SCALES: tuple[str, ...] = ("nominal", "ordinal", "interval")

# Highlight markers used inside search snippets. Control characters never occur in
# guideline text (the parser rejects them), so each renderer can swap them for its own
# emphasis (Slack `*`, terminal bold, JSON `**`) after escaping the text around them.
HL_START = "\x02"
HL_END = "\x03"


class SectionLike(Protocol):
    """What a diff or a renderer needs from a section, whether parsed or loaded from the store."""

    @property
    def anchor(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def aliases(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Section:
    """One heading of a guideline and the text under it up to the next heading."""

    anchor: str
    title: str
    level: int
    path: tuple[str, ...]  # ancestor titles then this title
    body: str  # Markdown of the section's own text, heading line and subsections excluded
    file: str  # path relative to the guideline folder, with forward slashes
    line: int  # 1-based line of the heading in `file`
    position: int  # 0-based order in the whole document
    links: tuple[str, ...] = ()  # anchors this section links to
    aliases: tuple[str, ...] = ()  # other words annotators use for it (the `Aliases:` line), as written

    @property
    def path_text(self) -> str:
        """The title path as one line, e.g. `Rules › Sarcasm`."""
        return " › ".join(self.path)


@dataclass(frozen=True)
class SourceFile:
    """A Markdown file of a guideline as it was published."""

    path: str
    text: str


@dataclass(frozen=True)
class GuidelineMeta:
    """Metadata of one guideline version."""

    slug: str
    title: str
    version: str
    labels: tuple[str, ...]
    scale: Scale
    owners: tuple[str, ...] = ()
    effective_date: date | None = None
    changelog: str = ""
    # (label, anchor) of the section that defines each label, as declared in `label_sections`.
    label_sections: tuple[tuple[str, str], ...] = ()

    def canonical(self) -> dict[str, object]:
        """Metadata as plain JSON-able values, version excluded (it is not content)."""
        out: dict[str, object] = {
            "slug": self.slug,
            "title": self.title,
            "labels": list(self.labels),
            "scale": self.scale,
            "owners": list(self.owners),
            "effective_date": self.effective_date.isoformat() if self.effective_date else None,
            "changelog": self.changelog,
        }
        if self.label_sections:  # only when declared, so the hash of a version without it is unchanged
            out["label_sections"] = dict(self.label_sections)
        return out


@dataclass(frozen=True)
class GuidelineDocument:
    """A parsed, validated guideline at one version."""

    meta: GuidelineMeta
    sections: tuple[Section, ...]
    files: tuple[SourceFile, ...]
    trees: tuple[Tree, ...] = ()  # decision trees of `trees/*.yaml`, validated against this version
    tree_files: tuple[SourceFile, ...] = ()  # their YAML text (`trees/x.yaml`), part of the content

    def content_hash(self) -> str:
        """SHA-256 over metadata (without version), the files and tree files, so re-publishing is detectable."""
        payload: dict[str, object] = {
            "meta": self.meta.canonical(),
            "files": [[f.path, f.text] for f in self.files],
        }
        if self.tree_files:
            # Only versions with trees get the key: the hash of every version without trees is unchanged.
            payload["trees"] = [[f.path, f.text] for f in self.tree_files]
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    def section(self, anchor: str) -> Section | None:
        """The section with this anchor, or None."""
        return next((s for s in self.sections if s.anchor == anchor), None)


@dataclass(frozen=True)
class SearchHit:
    """One ranked search result."""

    guideline: str  # slug
    guideline_title: str
    version: str  # version the section comes from
    current_version: str  # the guideline's current version (differs when a version was pinned)
    anchor: str
    title: str
    path: tuple[str, ...]
    snippet: str  # plain text with HL_START/HL_END around matched terms
    score: float  # higher is better; comparable within one result list only
    aliases: tuple[str, ...] = ()  # the section's declared aliases ("also called")

    @property
    def is_current(self) -> bool:
        """True when the hit comes from the guideline's current version."""
        return self.version == self.current_version


@dataclass(frozen=True)
class SectionDiff:
    """How one anchor differs between two versions."""

    anchor: str
    kind: Literal["added", "removed", "changed", "renamed"]
    old_title: str | None
    new_title: str | None
    unified_diff: str = ""  # unified diff of the body text; empty for added/removed
    aliases_added: tuple[str, ...] = ()  # aliases only the new version declares (changed/renamed)
    aliases_removed: tuple[str, ...] = ()  # aliases only the old version declared


@dataclass(frozen=True)
class GuidelineDiff:
    """Section-level differences between two versions of one guideline."""

    guideline: str
    old_version: str
    new_version: str
    entries: tuple[SectionDiff, ...] = field(default_factory=tuple)
    meta_changes: tuple[str, ...] = ()  # human-readable metadata changes, e.g. "labels: +Mixed"

    def anchors(self, kind: str | None = None) -> list[str]:
        """Anchors of the entries, optionally of one kind."""
        return [e.anchor for e in self.entries if kind is None or e.kind == kind]


def sections_by_anchor(sections: Sequence[SectionLike]) -> dict[str, SectionLike]:
    """Index sections by anchor."""
    return {s.anchor: s for s in sections}
