"""Publishing and reading guideline versions in the store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from bot.errors import ConflictError, InputError, NotFoundError
from bot.store.models.guidelines import (
    Guideline,
    GuidelineFile,
    GuidelineVersion,
    SearchWord,
    Section,
    SectionFeature,
    SectionTerm,
)
from bot.store.models.trees import DecisionTree, DecisionTreeAnchor
from guidelines.model import GuidelineDiff, GuidelineDocument, GuidelineMeta
from guidelines.semver import parse_version

# Markdown, stemming and diff code is imported inside the functions that use it: reading the list
# of guidelines (`annobot guidelines list`) should not pay for loading it.


@dataclass(frozen=True)
class PublishResult:
    """What publish() did."""

    status: Literal["published", "unchanged"]
    guideline: str
    version: str
    sections: int
    previous: str | None  # the version that was current before
    trees: int = 0  # decision trees of the version
    # Chunks embedded and stored with the version; None when no vectors were computed (the semantic
    # extra is missing, or publish was told not to), see `semantic_off`.
    chunks: int | None = None
    semantic_off: str | None = None  # why no vectors were stored, when none were


@dataclass(frozen=True)
class GuidelineSummary:
    """One line of `guidelines list`."""

    slug: str
    title: str
    current_version: str
    published_at: datetime
    versions: list[str]
    sections: int


def _lock_guideline(session: Session, slug: str) -> Guideline | None:
    # FOR UPDATE serialises concurrent publishers of one guideline on PostgreSQL (SQLite has
    # a single writer anyway and ignores the clause).
    return session.scalars(select(Guideline).where(Guideline.slug == slug).with_for_update()).one_or_none()


def publish(
    session: Session,
    doc: GuidelineDocument,
    *,
    notes: str = "",
    published_by: str | None = None,
    embed: bool | None = None,
) -> PublishResult:
    """Store a new immutable version; identical content is a no-op, conflicting content refused.

    With the semantic extra installed the sections' chunk vectors are stored with the version in the
    same transaction (`embed=None`: when installed; False: never; True: required).
    """
    from guidelines.plaintext import markdown_to_plain
    from guidelines.search.features import section_terms
    from guidelines.search.ranking import ALIAS_SEPARATOR, alias_stems

    meta = doc.meta
    new_version = parse_version(meta.version)
    digest = doc.content_hash()
    guideline = _lock_guideline(session, meta.slug)
    previous: str | None = None
    if guideline is None:
        guideline = Guideline(slug=meta.slug, title=meta.title)
        session.add(guideline)
        session.flush()
        versions: list[GuidelineVersion] = []
    else:
        versions = list(
            session.scalars(select(GuidelineVersion).where(GuidelineVersion.guideline_id == guideline.id))
        )
        current = next((v for v in versions if v.is_current), None)
        previous = current.version if current else None
        same = next((v for v in versions if v.version == meta.version), None)
        if same is not None:
            if same.content_hash == digest:
                return PublishResult(
                    "unchanged", meta.slug, meta.version, same.section_count, previous, len(doc.trees)
                )
            raise ConflictError(
                f"{meta.slug}@{meta.version} is already published with different content "
                f"(stored hash {same.content_hash[:12]}, this {digest[:12]}): publish it under a new version"
            )
        latest = max((parse_version(v.version) for v in versions), default=None)
        if latest is not None and new_version <= latest:
            raise InputError(
                f"{meta.slug}: version {meta.version} is not greater than the latest published version {latest}"
            )
    for v in versions:
        v.is_current = False
    guideline.title = meta.title
    row = GuidelineVersion(
        guideline_id=guideline.id,
        version=meta.version,
        title=meta.title,
        labels=list(meta.labels),
        scale=meta.scale,
        owners=list(meta.owners),
        effective_date=meta.effective_date,
        changelog=meta.changelog,
        label_sections=dict(meta.label_sections) or None,
        notes=notes or meta.changelog,
        content_hash=digest,
        is_current=True,
        published_by=published_by,
    )
    session.add(row)
    session.flush()
    session.add_all(
        GuidelineFile(version_id=row.id, path=f.path, position=i, text=f.text)
        for i, f in enumerate(doc.files)
    )
    rows = []
    section_features: list[list[str]] = []
    counts: Counter[str] = Counter()
    totals = [0, 0, 0]
    for s in doc.sections:
        plain = markdown_to_plain(s.body)
        alias_text = "\n".join(s.aliases)
        texts, feats = section_terms(s.title, " ".join(s.path[:-1]), plain)
        section_features.append(feats)
        fields = (*texts, alias_stems(s.aliases))
        counts.update(set().union(*fields) - {ALIAS_SEPARATOR})
        # Aliases are not length-normalised (guidelines.search.ranking.bm25f): no corpus total for them.
        totals = [t + len(f) for t, f in zip(totals, fields[:3], strict=True)]
        rows.append(
            Section(
                version_id=row.id,
                anchor=s.anchor,
                title=s.title,
                level=s.level,
                path=list(s.path),
                path_text=" ".join(s.path[:-1]),
                body=s.body,
                plain=plain,
                aliases=list(s.aliases),
                alias_text=alias_text,
                stems="\t".join(" ".join(f) for f in fields),
                file=s.file,
                line=s.line,
                position=s.position,
            )
        )
    session.add_all(rows)
    row.section_count = len(rows)
    row.title_terms, row.path_terms, row.body_terms = totals
    session.flush()
    feature_rows = [
        {"section_id": r.id, "feature": f}
        for r, feats in zip(rows, section_features, strict=True)
        for f in feats
    ]
    if feature_rows:
        session.execute(insert(SectionFeature), feature_rows)
    _store_postings(session, row.id, rows, [t / len(rows) if rows else 0.0 for t in totals])
    count_words(session, counts)
    if doc.trees:
        _store_trees(session, row.id, doc)
    chunks, off = _embed(session, row.id, meta.title, rows, embed)
    return PublishResult(
        "published", meta.slug, meta.version, len(doc.sections), previous, len(doc.trees), chunks, off
    )


def _store_postings(session: Session, version_id: int, rows: Sequence[Section], avg: list[float]) -> None:
    """The version's section_terms: each section's stems with their integer weights (candidate selection)."""
    from guidelines.search.postings import section_postings

    postings = [
        {
            "section_id": r.id,
            "version_id": version_id,
            "position": r.position,
            "field": field,
            "stem": term,
            "weight": weight,
        }
        for r in rows
        for field, term, weight in section_postings([f.split() for f in r.stems.split("\t")], avg)
    ]
    if postings:
        # Core executemany on the table: the ORM's bulk path costs several times as much per row.
        session.connection().execute(insert(SectionTerm.__table__), postings)


def _embed(
    session: Session, version_id: int, title: str, rows: Sequence[Section], embed: bool | None
) -> tuple[int | None, str | None]:
    """Store the version's chunk vectors: (chunks, None), or (None, why not)."""
    from bot.store import vectors

    if embed is False:
        return None, "sentence embeddings not requested"
    reason = vectors.semantic_off_reason()
    if reason is not None:
        if embed:
            from bot.semantic.encoder import SemanticUnavailable

            raise SemanticUnavailable(reason)
        vectors.warn_once(reason)
        return None, reason
    texts = [vectors.SectionText(r.id, tuple(r.path), r.plain, tuple(r.aliases)) for r in rows]
    return vectors.store_vectors(session, version_id, title, texts), None


def _store_trees(session: Session, version_id: int, doc: GuidelineDocument) -> None:
    """Add the version's decision trees: the YAML source and the canonical JSON (bot/store/trees.py reads them)."""
    from guidelines.trees.canonical import tree_to_json

    sources = {f.path: f.text for f in doc.tree_files}
    for position, tree in enumerate(doc.trees):
        row = DecisionTree(
            version_id=version_id,
            tree_id=tree.id,
            title=tree.title,
            file=tree.file,
            position=position,
            source=sources.get(tree.file, ""),
            data=tree_to_json(tree),
        )
        session.add(row)
        session.flush()
        session.add_all(DecisionTreeAnchor(tree_pk=row.id, anchor=a) for a in sorted(tree.cited_anchors()))


def count_words(session: Session, counts: Counter[str]) -> None:
    """Add sections-per-stem counts to search_words (the corpus document frequencies)."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    if not counts:
        return
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    stmt = insert(SearchWord).values([{"word": w, "sections": n} for w, n in counts.items()])
    # Atomic increment: concurrent publishers on PostgreSQL cannot lose counts.
    stmt = stmt.on_conflict_do_update(
        index_elements=["word"], set_={"sections": SearchWord.sections + stmt.excluded.sections}
    )
    session.execute(stmt)


def get_version(session: Session, slug: str, version: str | None = None) -> GuidelineVersion:
    """A version with its sections (the current one unless a version is named)."""
    stmt = (
        select(GuidelineVersion)
        .join(Guideline)
        .where(Guideline.slug == slug)
        .options(selectinload(GuidelineVersion.sections), selectinload(GuidelineVersion.guideline))
    )
    stmt = (
        stmt.where(GuidelineVersion.version == version)
        if version
        else stmt.where(GuidelineVersion.is_current)
    )
    row = session.scalars(stmt).one_or_none()
    if row is not None:
        return row
    require_known(session, slug, version)
    raise NotFoundError(f"{slug} has no current version")  # publish always leaves one current


def label_sections(
    session: Session, slug: str, version: str, labels: Sequence[str]
) -> dict[str, tuple[str, str]]:
    """For each label, (anchor, title) of the section of slug@version that defines it; two small queries.

    The rule (guidelines.search.labels.match_label_sections): the section the version declares in its
    `label_sections`, else a section titled exactly the label; labels with neither are left out.
    """
    from guidelines.search.labels import SectionTitle, match_label_sections

    declared = session.scalar(
        select(GuidelineVersion.label_sections)
        .join(Guideline, Guideline.id == GuidelineVersion.guideline_id)
        .where(Guideline.slug == slug, GuidelineVersion.version == version)
    )
    rows = session.execute(
        select(Section.anchor, Section.title)
        .join(GuidelineVersion, GuidelineVersion.id == Section.version_id)
        .join(Guideline, Guideline.id == GuidelineVersion.guideline_id)
        .where(Guideline.slug == slug, GuidelineVersion.version == version)
        .order_by(Section.position)
    )
    sections = [SectionTitle(anchor, title) for anchor, title in rows]
    return match_label_sections(labels, sections, declared)


def section_titles(
    session: Session, sections: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, str]]:
    """For each (slug, anchor) asked, (version, title) at the newest published version having it; one query.

    Pairs no version has are left out (a flag may name a section since renamed, or none published).
    """
    wanted = set(sections)
    if not wanted:
        return {}
    rows = session.execute(
        select(Guideline.slug, GuidelineVersion.version, Section.anchor, Section.title)
        .join(GuidelineVersion, GuidelineVersion.id == Section.version_id)
        .join(Guideline, Guideline.id == GuidelineVersion.guideline_id)
        .where(
            Guideline.slug.in_(sorted({s for s, _ in wanted})),
            Section.anchor.in_(sorted({a for _, a in wanted})),
        )
    )
    best: dict[tuple[str, str], tuple[str, str]] = {}
    for slug, version, anchor, title in rows:
        key = (slug, anchor)
        if key in wanted and (key not in best or parse_version(version) > parse_version(best[key][0])):
            best[key] = (version, title)
    return best


def current_labels(session: Session, slug: str) -> tuple[str, tuple[str, ...]] | None:
    """(current version, its labels) of a guideline in one light query (no sections); None if unpublished."""
    row = session.execute(
        select(GuidelineVersion.version, GuidelineVersion.labels)
        .join(Guideline)
        .where(Guideline.slug == slug, GuidelineVersion.is_current)
    ).one_or_none()
    return None if row is None else (row.version, tuple(str(x) for x in row.labels))


def version_labels(session: Session, slug: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every published version's label list, oldest first by semver (the digest reads retired labels)."""
    rows = session.execute(
        select(GuidelineVersion.version, GuidelineVersion.labels)
        .join(Guideline)
        .where(Guideline.slug == slug)
    ).all()
    ordered = sorted(rows, key=lambda r: parse_version(r.version))
    return tuple((r.version, tuple(str(x) for x in r.labels)) for r in ordered)


def list_versions(session: Session, slug: str) -> list[str]:
    """Published versions of a guideline, oldest first by semver."""
    rows = session.scalars(
        select(GuidelineVersion.version).join(Guideline).where(Guideline.slug == slug)
    ).all()
    return sorted(rows, key=parse_version)


def require_known(session: Session, slug: str | None, version: str | None) -> None:
    """Raise NotFoundError for a named guideline or version that is not published (as show and diff do)."""
    if slug is None and version is None:
        return
    if slug is not None:
        known = session.scalars(select(Guideline.slug).order_by(Guideline.slug)).all()
        if slug not in known:
            hint = f" (known: {', '.join(known)})" if known else " (nothing is published yet)"
            raise NotFoundError(f"no guideline '{slug}'{hint}")
        if version is not None:
            versions = list_versions(session, slug)
            if version not in versions:
                raise NotFoundError(f"{slug} has no version {version} (published: {', '.join(versions)})")
        return
    if version is not None and not version_exists(session, version):
        raise NotFoundError(f"no guideline has version {version} (published: {_all_versions(session)})")


def _all_versions(session: Session) -> str:
    rows = session.execute(
        select(Guideline.slug, GuidelineVersion.version).join(Guideline).order_by(Guideline.slug)
    ).all()
    if not rows:
        return "nothing yet"
    by_slug: dict[str, list[str]] = {}
    for slug, version in rows:
        by_slug.setdefault(slug, []).append(version)
    return "; ".join(f"{s} {', '.join(sorted(v, key=parse_version))}" for s, v in by_slug.items())


def version_exists(session: Session, version: str) -> bool:
    """True when some guideline has published `version`."""
    stmt = select(GuidelineVersion.id).where(GuidelineVersion.version == version).limit(1)
    return session.scalar(stmt) is not None


def get_section(
    session: Session, slug: str, anchor: str, version: str | None = None
) -> tuple[GuidelineVersion, Section]:
    """One section of a version, by anchor."""
    row = get_version(session, slug, version)
    for s in row.sections:
        if s.anchor == anchor:
            return row, s
    raise NotFoundError(f"{slug}@{row.version} has no section '#{anchor}'")


def list_guidelines(session: Session) -> list[GuidelineSummary]:
    """Every guideline with its current version."""
    out = []
    for g in session.scalars(
        select(Guideline).options(selectinload(Guideline.versions)).order_by(Guideline.slug)
    ):
        current = next((v for v in g.versions if v.is_current), None)
        if current is None:
            continue
        out.append(
            GuidelineSummary(
                slug=g.slug,
                title=current.title,
                current_version=current.version,
                published_at=current.published_at,
                versions=sorted((v.version for v in g.versions), key=parse_version),
                sections=current.section_count,
            )
        )
    return out


def meta_of(row: GuidelineVersion) -> GuidelineMeta:
    """The metadata of a stored version."""
    return GuidelineMeta(
        slug=row.guideline.slug,
        title=row.title,
        version=row.version,
        labels=tuple(row.labels),
        scale=row.scale,  # type: ignore[arg-type]
        owners=tuple(row.owners),
        effective_date=row.effective_date,
        changelog=row.changelog,
        label_sections=tuple(
            (label, str((row.label_sections or {})[label]))
            for label in row.labels
            if label in (row.label_sections or {})
        ),
    )


def diff_versions(session: Session, slug: str, old: str, new: str) -> GuidelineDiff:
    """Section-level diff between two stored versions."""
    from guidelines.diff import diff_guidelines

    a = get_version(session, slug, old)
    b = get_version(session, slug, new)
    return diff_guidelines(slug, a.version, a.sections, b.version, b.sections, meta_of(a), meta_of(b))
