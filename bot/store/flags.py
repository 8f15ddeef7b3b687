"""Disagreement flags: filing into cases, triage (assign, comment), adjudication, reads (issue 12).

Concurrency, on any number of replicas:

- One open case per item is the partial unique index `uq_flag_cases_open_item`. file_flag inserts
  the case with ON CONFLICT DO NOTHING against it: under READ COMMITTED a filer that meets another's
  uncommitted case waits for its commit, does nothing, and its next statement (a new snapshot) finds
  that case. It then holds the case with FOR SHARE, so an adjudication (FOR UPDATE) cannot resolve
  the case between the lookup and the flag's commit; if it was resolved meanwhile, the filer looks
  again and opens a new case.
- One flag per Slack view submission is the unique idempotency key: the flag insert does nothing on
  a repeated key, and the first flag is returned as a duplicate (a case opened for it is removed
  again; nobody else can have joined it, it was never committed).
- One decision per case is the unique flag_decisions.case_id, behind a FOR UPDATE of the case: of two
  racing leads one writes the decision, the other gets AlreadyAdjudicated.

SQLite has one writer at a time, so the same statements serialize there. Times are stored in UTC
and handed back aware.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import delete, exists, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from bot.errors import ConflictError, InputError, NotFoundError
from bot.store.annotations import upsert_gold
from bot.store.models.base import utcnow
from bot.store.models.flags import OPEN_CASE, Flag, FlagCase, FlagDecision, FlagEvent
from bot.store.projects import get_project
from reports.flags.input import (
    CASE_STATUSES,
    MAX_COMMENT,
    MAX_USER,
    Decision,
    FlagInput,
    OtherLabel,
    text_problem,
    validate_decision,
    validate_flag_input,
)

if TYPE_CHECKING:
    import pandas as pd


# Attempts at finding or opening the item's open case when cases keep being resolved under us.
OPEN_ATTEMPTS = 5
# Case ids per IN (...) list when reading the flags, events and decisions of many cases.
_IN_CHUNK = 500


class AlreadyAdjudicated(ConflictError):
    """The case has a decision already (another lead was first)."""


@dataclass(frozen=True)
class FiledFlag:
    """What file_flag did: the flag and its case; whether it joined an open case or was a replay."""

    flag_id: int
    case_id: int
    joined_existing: bool
    duplicate: bool


@dataclass(frozen=True)
class FlagRecord:
    """A stored flag."""

    id: int
    case_id: int
    project: str
    item_id: str
    filed_by: str
    filed_at: datetime
    my_label: str
    other_labels: tuple[OtherLabel, ...]
    reason: str
    guideline: str
    version: str
    anchor: str | None
    comment: str
    permalink: str | None
    channel: str | None
    thread_ts: str | None


@dataclass(frozen=True)
class EventRecord:
    """A case event: a comment (text), an assignment (assignee), the resolution."""

    id: int
    case_id: int
    kind: str
    by: str
    at: datetime
    text: str | None
    assignee: str | None


@dataclass(frozen=True)
class DecisionRecord:
    """A stored adjudication."""

    case_id: int
    project: str
    item_id: str
    task: str
    final_label: str
    note: str
    outcome: str
    section_to_change: str | None
    add_to_gold: bool
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True)
class CaseRecord:
    """A case with its flags (filing order), events (in order) and decision."""

    id: int
    project: str
    item_id: str
    status: str
    assignee: str | None
    opened_at: datetime
    resolved_at: datetime | None
    flags: tuple[FlagRecord, ...]
    events: tuple[EventRecord, ...]
    decision: DecisionRecord | None


@dataclass(frozen=True)
class AdjudicatedLabel:
    """An item's adjudicated label: the final label of its latest decision."""

    project: str
    task: str
    item_id: str
    label: str
    case_id: int
    outcome: str
    decided_by: str
    decided_at: datetime


class _GoldRow(NamedTuple):
    """The shape upsert_gold takes (bot.imports.rows.GoldRow, which the store does not import)."""

    task: str
    item: str
    label: str


def _utc(dt: datetime | None) -> datetime:
    """An aware time in UTC (SQLite stores the wall clock of what it is given, without a zone)."""
    return (dt or utcnow()).astimezone(UTC)


def _aware(dt: datetime | None) -> datetime | None:
    """A stored time as UTC-aware (SQLite hands back naive datetimes)."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _insert(session: Session, model: type[Any]) -> Any:
    """The backend's INSERT construct, which has ON CONFLICT (same clause on SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def _refuse(problems: dict[str, str], what: str) -> None:
    if problems:
        listed = "; ".join(f"{name}: {message}" for name, message in problems.items())
        raise InputError(f"{what} refused, nothing stored: {listed}")


def _check_user(name: str, value: str | None) -> None:
    if value is None or not value.strip():
        raise InputError(f"{name}: is required")
    if (why := text_problem(value, MAX_USER)) is not None:
        raise InputError(f"{name}: {why}")


# --------------------------------------------------------------------------------------------------
# Filing


def file_flag(session: Session, flag: FlagInput) -> FiledFlag:
    """Store a flag in the item's open case (opened when there is none); a replayed key writes nothing."""
    _refuse(validate_flag_input(flag), "flag")
    if flag.idempotency_key is not None:
        first = _flag_by_key(session, flag.idempotency_key)
        if first is not None:
            return first
    case_id, opened = _open_case(session, flag.project, flag.item_id, _utc(flag.filed_at))
    stmt = _insert(session, Flag).values(
        case_id=case_id,
        project=flag.project,
        item_id=flag.item_id,
        filed_by=flag.filed_by,
        filed_at=_utc(flag.filed_at),
        my_label=flag.my_label,
        other_labels=[{"label": o.label, "source": o.source, "who": o.who} for o in flag.other_labels],
        reason=flag.reason,
        guideline=flag.guideline,
        version=flag.version,
        anchor=flag.anchor or None,
        comment=flag.comment,
        permalink=flag.permalink or None,
        channel=flag.channel or None,
        thread_ts=flag.thread_ts or None,
        idempotency_key=flag.idempotency_key,
    )
    if flag.idempotency_key is not None:
        # A concurrent delivery of the same submission committed first (we waited for it here).
        stmt = stmt.on_conflict_do_nothing(index_elements=[Flag.idempotency_key])
    flag_id = session.execute(stmt.returning(Flag.id)).scalar_one_or_none()
    if flag_id is None:
        assert flag.idempotency_key is not None
        if opened:
            session.execute(delete(FlagCase).where(FlagCase.id == case_id))
        first = _flag_by_key(session, flag.idempotency_key)
        if first is None:  # the other delivery rolled back after all; it cannot happen twice
            raise ConflictError("the same submission is being stored concurrently; submit again")
        return first
    return FiledFlag(flag_id=flag_id, case_id=case_id, joined_existing=not opened, duplicate=False)


def _flag_by_key(session: Session, key: str) -> FiledFlag | None:
    row = session.execute(select(Flag.id, Flag.case_id).where(Flag.idempotency_key == key)).one_or_none()
    if row is None:
        return None
    earlier = session.execute(
        select(exists().where(Flag.case_id == row.case_id, Flag.id < row.id))
    ).scalar_one()
    return FiledFlag(flag_id=row.id, case_id=row.case_id, joined_existing=earlier, duplicate=True)


def _open_case(session: Session, project: str, item_id: str, now: datetime) -> tuple[int, bool]:
    """(the item's open case, True when this call opened it)."""
    insert_case = (
        _insert(session, FlagCase)
        .values(project=project, item_id=item_id, status="open", opened_at=now)
        # The index's own predicate, as literal SQL: PostgreSQL infers a partial unique index only
        # from a predicate that implies the index's, which a bound parameter would not.
        .on_conflict_do_nothing(
            index_elements=[FlagCase.project, FlagCase.item_id], index_where=sql_text(OPEN_CASE)
        )
        .returning(FlagCase.id)
    )
    find_case = (
        select(FlagCase.id)
        .where(FlagCase.project == project, FlagCase.item_id == item_id, FlagCase.status != "resolved")
        .with_for_update(read=True)  # FOR SHARE on PostgreSQL; SQLite has no row locks and needs none
    )
    for _ in range(OPEN_ATTEMPTS):
        case_id = session.execute(insert_case).scalar_one_or_none()
        if case_id is not None:
            return case_id, True
        case_id = session.execute(find_case).scalar_one_or_none()
        if case_id is not None:
            return case_id, False
        # The open case was resolved between the two statements: try again, opening a new one.
    raise ConflictError(f"the case of item '{item_id}' keeps changing; file the flag again")


# --------------------------------------------------------------------------------------------------
# Triage


def _case_row(session: Session, case_id: int, *, lock: bool = False) -> FlagCase:
    stmt = select(FlagCase).where(FlagCase.id == case_id)
    if lock:
        # populate_existing: the locked row's current state, not an older copy in the session.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = session.scalars(stmt).one_or_none()
    if row is None:
        raise NotFoundError(f"no flag case {case_id}")
    return row


def assign(session: Session, case_id: int, assignee: str | None, by: str) -> CaseRecord:
    """Assign an unresolved case to a lead (None: unassign, back to open); recorded as an event."""
    _check_user("by", by)
    if assignee is not None:
        _check_user("assignee", assignee)
    case = _case_row(session, case_id, lock=True)
    if case.status == "resolved":
        raise ConflictError(f"case {case_id} is resolved; it cannot be assigned")
    case.assignee = assignee
    case.status = "open" if assignee is None else "assigned"
    session.add(FlagEvent(case_id=case_id, kind="assigned", by=by, at=_utc(None), assignee=assignee))
    session.flush()
    return get_case(session, case_id)


def comment(session: Session, case_id: int, by: str, text: str) -> EventRecord:
    """Add a comment (stored verbatim) to a case, resolved or not."""
    _check_user("by", by)
    if not text.strip():
        raise InputError("comment: is required")
    if (why := text_problem(text, MAX_COMMENT, lines=True)) is not None:
        raise InputError(f"comment: {why}")
    _case_row(session, case_id)
    event = FlagEvent(case_id=case_id, kind="comment", by=by, at=_utc(None), text=text)
    session.add(event)
    session.flush()
    return _event_record(event)


# --------------------------------------------------------------------------------------------------
# Adjudication


def adjudicate(session: Session, case_id: int, decision: Decision, by: str) -> DecisionRecord:
    """Record the decision of a case, resolve it and, with add_to_gold, write its label as gold.

    Raises AlreadyAdjudicated when the case has a decision (of two racing leads, the second).
    """
    _refuse(validate_decision(decision), "decision")
    _check_user("by", by)
    # FOR UPDATE: a racing adjudication waits here and then sees the case resolved; filers holding
    # the case FOR SHARE finish first, so no flag joins a case after its decision.
    case = _case_row(session, case_id, lock=True)
    if case.status == "resolved":
        raise _already(session, case_id)
    if decision.add_to_gold:
        get_project(session, case.project)  # gold.project references projects.name: it must be declared
    now = _utc(decision.decided_at)
    inserted = session.execute(
        _insert(session, FlagDecision)
        .values(
            case_id=case_id,
            project=case.project,
            item_id=case.item_id,
            task=decision.task,
            final_label=decision.final_label,
            note=decision.note,
            outcome=decision.outcome,
            section_to_change=decision.section_to_change or None,
            add_to_gold=decision.add_to_gold,
            decided_by=by,
            decided_at=now,
        )
        .on_conflict_do_nothing(index_elements=[FlagDecision.case_id])
        .returning(FlagDecision.id)
    ).scalar_one_or_none()
    if inserted is None:
        raise _already(session, case_id)
    session.execute(update(FlagCase).where(FlagCase.id == case_id).values(status="resolved", resolved_at=now))
    session.add(FlagEvent(case_id=case_id, kind="resolved", by=by, at=now))
    if decision.add_to_gold:
        upsert_gold(session, case.project, [_GoldRow(decision.task, case.item_id, decision.final_label)])
    session.flush()
    session.expire(case)
    found = _decisions(session, [case_id])
    return found[case_id]


def _already(session: Session, case_id: int) -> AlreadyAdjudicated:
    first = _decisions(session, [case_id]).get(case_id)
    if first is None:
        return AlreadyAdjudicated(f"case {case_id} is resolved already")
    return AlreadyAdjudicated(
        f"case {case_id} was adjudicated already by {first.decided_by} at "
        f"{first.decided_at:%Y-%m-%d %H:%M} UTC (final label '{first.final_label}'); nothing changed"
    )


# --------------------------------------------------------------------------------------------------
# Reads


def get_case(session: Session, case_id: int) -> CaseRecord:
    """One case with its flags, events and decision; NotFoundError when there is none."""
    row = _case_row(session, case_id)
    return _records(session, [row])[0]


def list_cases(
    session: Session,
    *,
    project: str | None = None,
    status: str | Collection[str] | None = None,
    reason: str | None = None,
    section: str | None = None,
    assignee: str | None = None,
) -> list[CaseRecord]:
    """Cases (oldest first) matching every filter given; reason and section match any of a case's flags.

    `section` is an anchor, or `slug#anchor`.
    """
    stmt = select(FlagCase).order_by(FlagCase.opened_at, FlagCase.id)
    if project is not None:
        stmt = stmt.where(FlagCase.project == project)
    if status is not None:
        wanted = [status] if isinstance(status, str) else list(status)
        unknown = [s for s in wanted if s not in CASE_STATUSES]
        if unknown:
            raise InputError(f"status: unknown '{unknown[0]}' (one of {', '.join(CASE_STATUSES)})")
        stmt = stmt.where(FlagCase.status.in_(wanted))
    if assignee is not None:
        stmt = stmt.where(FlagCase.assignee == assignee)
    flag_where = []
    if reason is not None:
        flag_where.append(Flag.reason == reason)
    if section is not None:
        slug, sep, anchor = section.rpartition("#")
        flag_where.append(Flag.anchor == anchor)
        if sep and slug:
            flag_where.append(Flag.guideline == slug)
    if flag_where:
        stmt = stmt.where(exists().where(Flag.case_id == FlagCase.id, *flag_where))
    return _records(session, list(session.scalars(stmt)))


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _IN_CHUNK):
        yield ids[start : start + _IN_CHUNK]


def _records(session: Session, cases: list[FlagCase]) -> list[CaseRecord]:
    ids = [c.id for c in cases]
    flags: dict[int, list[FlagRecord]] = {i: [] for i in ids}
    events: dict[int, list[EventRecord]] = {i: [] for i in ids}
    for chunk in _chunks(ids):
        for f in session.scalars(select(Flag).where(Flag.case_id.in_(chunk)).order_by(Flag.id)):
            flags[f.case_id].append(_flag_record(f))
        for e in session.scalars(
            select(FlagEvent).where(FlagEvent.case_id.in_(chunk)).order_by(FlagEvent.id)
        ):
            events[e.case_id].append(_event_record(e))
    decisions = _decisions(session, ids)
    return [
        CaseRecord(
            id=c.id,
            project=c.project,
            item_id=c.item_id,
            status=c.status,
            assignee=c.assignee,
            opened_at=_aware(c.opened_at),  # type: ignore[arg-type]
            resolved_at=_aware(c.resolved_at),
            flags=tuple(flags[c.id]),
            events=tuple(events[c.id]),
            decision=decisions.get(c.id),
        )
        for c in cases
    ]


def _flag_record(f: Flag) -> FlagRecord:
    return FlagRecord(
        id=f.id,
        case_id=f.case_id,
        project=f.project,
        item_id=f.item_id,
        filed_by=f.filed_by,
        filed_at=_aware(f.filed_at),  # type: ignore[arg-type]
        my_label=f.my_label,
        other_labels=tuple(OtherLabel(o["label"], o["source"], o.get("who")) for o in f.other_labels),
        reason=f.reason,
        guideline=f.guideline,
        version=f.version,
        anchor=f.anchor,
        comment=f.comment,
        permalink=f.permalink,
        channel=f.channel,
        thread_ts=f.thread_ts,
    )


def _event_record(e: FlagEvent) -> EventRecord:
    return EventRecord(
        id=e.id,
        case_id=e.case_id,
        kind=e.kind,
        by=e.by,
        at=_aware(e.at),  # type: ignore[arg-type]
        text=e.text,
        assignee=e.assignee,
    )


def _decision_record(d: FlagDecision) -> DecisionRecord:
    return DecisionRecord(
        case_id=d.case_id,
        project=d.project,
        item_id=d.item_id,
        task=d.task,
        final_label=d.final_label,
        note=d.note,
        outcome=d.outcome,
        section_to_change=d.section_to_change,
        add_to_gold=d.add_to_gold,
        decided_by=d.decided_by,
        decided_at=_aware(d.decided_at),  # type: ignore[arg-type]
    )


def _decisions(session: Session, case_ids: Sequence[int]) -> dict[int, DecisionRecord]:
    out: dict[int, DecisionRecord] = {}
    for chunk in _chunks(case_ids):
        for d in session.scalars(select(FlagDecision).where(FlagDecision.case_id.in_(chunk))):
            out[d.case_id] = _decision_record(d)
    return out


def adjudicated_labels(session: Session, project: str | None = None) -> list[AdjudicatedLabel]:
    """Each item's adjudicated label (its latest decision per task), ordered by project, task, item."""
    d = FlagDecision
    stmt = select(d).order_by(d.project, d.task, d.item_id, d.decided_at, d.id)
    if project is not None:
        stmt = stmt.where(d.project == project)
    latest: dict[tuple[str, str, str], AdjudicatedLabel] = {}
    for row in session.scalars(stmt):
        latest[(row.project, row.task, row.item_id)] = AdjudicatedLabel(
            project=row.project,
            task=row.task,
            item_id=row.item_id,
            label=row.final_label,
            case_id=row.case_id,
            outcome=row.outcome,
            decided_by=row.decided_by,
            decided_at=_aware(row.decided_at),  # type: ignore[arg-type]
        )
    return list(latest.values())


def flags_frame(
    session: Session, project: str | None, since: datetime | None = None, until: datetime | None = None
) -> pd.DataFrame:
    """The project's flags filed in [since, until) with their case's state, one row each (frame.COLUMNS).

    `project` None reads every project's flags (case ids are unique across projects).

    filed_at and resolved_at are UTC-aware (resolved_at NaT while open); outcome is None until decided.
    """
    import pandas as pd

    from reports.flags.frame import COLUMNS  # the hot-spot ranking's contract; imports pandas, so here

    stmt = (
        select(
            Flag.id,
            Flag.case_id,
            Flag.project,
            Flag.item_id,
            Flag.reason,
            Flag.guideline,
            Flag.version,
            Flag.anchor,
            Flag.filed_by,
            Flag.filed_at,
            FlagCase.status,
            FlagCase.resolved_at,
            FlagDecision.outcome,
        )
        .join(FlagCase, FlagCase.id == Flag.case_id)
        .outerjoin(FlagDecision, FlagDecision.case_id == Flag.case_id)
        .order_by(Flag.filed_at, Flag.id)
    )
    if project is not None:
        stmt = stmt.where(Flag.project == project)
    if since is not None:
        stmt = stmt.where(Flag.filed_at >= _utc(since))
    if until is not None:
        stmt = stmt.where(Flag.filed_at < _utc(until))
    rows = [tuple(r) for r in session.execute(stmt)]
    frame = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
    frame["flag_id"] = frame["flag_id"].astype("int64")
    frame["case_id"] = frame["case_id"].astype("int64")
    for col in ("filed_at", "resolved_at"):
        frame[col] = pd.to_datetime(_aware_all(frame[col]), utc=True)
    frame["outcome"] = frame["outcome"].astype(object).where(frame["outcome"].notna(), None)
    frame["anchor"] = frame["anchor"].astype(object).where(frame["anchor"].notna(), None)
    return frame


def _aware_all(values: Iterable[Any]) -> list[datetime | None]:
    return [_aware(v) if isinstance(v, datetime) else None for v in values]
