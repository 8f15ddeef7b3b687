"""Triage of flag cases: the queue, assigning, commenting, adjudicating (issue 12 item 6).

Jobs (`fn(engine, …)`, one session each, plain picklable data in and out, no Slack client). The
Slack edge decides who may act (`bot.authz`) before calling the jobs that change anything; the jobs
read the case's project from the store so the edge can authorize against it, never against what a
button or a modal claims. `adjudicate_job` stores the decision in one transaction and only then
returns the messages to send (the flaggers' DMs, the thread replies): a Slack failure afterwards
cannot lose a decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import ProjectConfig
from bot.errors import ConflictError, NotFoundError
from bot.jobs.answer import Answer, Page
from bot.jobs.flags import label_options_job, section_options_job
from bot.slack.blocks import kit
from bot.slack.flag_queue.builder import (
    B_CHANGE,
    B_FINAL,
    B_NOTE,
    B_OUTCOME,
    B_TASK,
    PER_PAGE,
    AdjudicationForm,
    QueuePage,
    ShownItem,
    adjudication_modal,
    assigned_blocks,
    comment_modal,
    commented_blocks,
    decided_blocks,
    outcome_dm_blocks,
    outcome_text,
    queue_blocks,
    queue_text,
    thread_reply_blocks,
)
from bot.store.db import session_scope
from bot.store.flags import CaseRecord, adjudicate, assign, comment, get_case, list_cases
from bot.store.guidelines import current_labels
from bot.store.items import get_items, item_tasks
from bot.store.projects import sync_config_projects
from reports.flags.draft import parse_section_value
from reports.flags.input import DEFAULT_TASK, MAX_COMMENT, Decision, text_problem, validate_decision
from reports.flags.queue import UNASSIGNED, DecisionDraft, QueueFilter, decision_task, page_slice

UNRESOLVED = ("open", "assigned")
# validate_decision's field -> the modal block that shows its message.
_FIELD_BLOCK = {
    "final_label": B_FINAL,
    "outcome": B_OUTCOME,
    "note": B_NOTE,
    "section_to_change": B_CHANGE,
    "task": B_OUTCOME,
}

__all__ = [
    "Adjudicated",
    "CheckedDecision",
    "Notice",
    "adjudicate_job",
    "adjudication_form_job",
    "assign_job",
    "case_project_job",
    "check_comment",
    "check_decision_job",
    "comment_form_job",
    "comment_job",
    "final_label_options_job",
    "queue_job",
    "section_change_options_job",
]


@dataclass(frozen=True)
class Notice:
    """A message to post after a decision: a DM (channel = the user id) or a thread reply."""

    channel: str
    blocks: Page
    text: str
    thread_ts: str | None = None


@dataclass(frozen=True)
class Adjudicated:
    """A stored decision: the lead's confirmation and the notices to send."""

    case_id: int
    confirmation: Answer
    notices: tuple[Notice, ...]


@dataclass(frozen=True)
class CheckedDecision:
    """A checked adjudication: the decision to store, or inline errors (block id -> message)."""

    errors: dict[str, str]
    case_id: int = 0
    project: str = ""
    decision: Decision | None = None


# --- reading items and reasons ------------------------------------------------------------------


def _shown_items(session: Session, project: str, item_ids: Sequence[str]) -> dict[str, ShownItem]:
    """What the store knows of each item that it can show (its text, its URL)."""
    return {
        item_id: ShownItem(record.text, record.url)
        for item_id, record in get_items(session, project, item_ids).items()
        if record.text or record.url
    }


def _by_name(projects: Sequence[ProjectConfig]) -> dict[str, ProjectConfig]:
    return {p.name: p for p in projects}


def _reasons(project: ProjectConfig | None) -> dict[str, str]:
    return {r.id: r.label for r in project.flag_reasons} if project is not None else {}


# --- the queue ---------------------------------------------------------------------------------


def _matching(session: Session, projects: Sequence[str], f: QueueFilter) -> list[CaseRecord]:
    # Unassigned cases are the open ones: assign() keeps status and assignee together.
    status = ("open",) if f.assignee == UNASSIGNED else UNRESOLVED
    assignee = None if f.assignee == UNASSIGNED else f.assignee
    found: list[CaseRecord] = []
    for project in projects:
        found += list_cases(
            session, project=project, status=status, reason=f.reason, section=f.section, assignee=assignee
        )
    return sorted(found, key=lambda c: (c.opened_at, c.id))


def queue_job(
    engine: Engine,
    projects: Sequence[ProjectConfig],
    allowed: Sequence[str],
    f: QueueFilter,
    user_id: str,
    now: datetime,
) -> Answer:
    """The `/flag queue` answer for the `allowed` projects: unresolved cases, oldest first, one page."""
    config = _by_name(projects)
    with session_scope(engine) as session:
        cases = _matching(session, allowed, f)
        start, end = page_slice(len(cases), f.page, PER_PAGE)
        shown = cases[start:end]
        items: dict[tuple[str, str], ShownItem] = {}
        for project in {c.project for c in shown}:
            found = _shown_items(session, project, [c.item_id for c in shown if c.project == project])
            items.update({(project, item_id): item for item_id, item in found.items()})
    page = QueuePage(
        cases=tuple(shown),
        items=items,
        reasons={(p, rid): label for p in allowed for rid, label in _reasons(config.get(p)).items()},
        total=len(cases),
        page=f.page,
        filters=f.describe(),
        projects=tuple(allowed),
        user_id=user_id,
        now=now,
    )
    return Answer(kit.paginate(queue_blocks(page)), queue_text(page))


# --- one case ----------------------------------------------------------------------------------


def case_project_job(engine: Engine, case_id: int) -> str:
    """The project of a case (NotFoundError when there is none): what the edge authorizes against."""
    with session_scope(engine) as session:
        return get_case(session, case_id).project


def _decided_message(case: CaseRecord) -> str:
    d = case.decision
    if d is None:
        return f"case {case.id} is resolved already; nothing changed"
    return (
        f"case {case.id} was adjudicated already by {d.decided_by} at {d.decided_at:%Y-%m-%d %H:%M} UTC "
        f"(final label '{d.final_label}'); nothing changed"
    )


def assign_job(engine: Engine, case_id: int, user_id: str) -> Answer:
    """Assign the case to `user_id` (a lead, authorized by the edge); the lead's answer."""
    with session_scope(engine) as session:
        case = get_case(session, case_id)
        if case.status == "resolved":
            raise ConflictError(_decided_message(case))
        case = assign(session, case_id, user_id, by=user_id)
    return Answer([assigned_blocks(case)], kit.fallback_text(f"Case #{case.id} assigned to you"))


def _form_parts(
    session: Session, projects: Sequence[ProjectConfig], case_id: int
) -> tuple[CaseRecord, ProjectConfig | None, ShownItem | None]:
    case = get_case(session, case_id)
    project = _by_name(projects).get(case.project)
    item = _shown_items(session, case.project, [case.item_id]).get(case.item_id)
    return case, project, item


def comment_form_job(
    engine: Engine, projects: Sequence[ProjectConfig], case_id: int, reply_channel: str
) -> dict:
    """The comment modal of a case."""
    with session_scope(engine) as session:
        case, project, item = _form_parts(session, projects, case_id)
    return comment_modal(case, item, _reasons(project), reply_channel)


def check_comment(text: str) -> str | None:
    """Why a typed comment cannot be stored (for the inline error), or None."""
    if not text.strip():
        return "is required"
    return text_problem(text, MAX_COMMENT, lines=True)


def comment_job(engine: Engine, case_id: int, user_id: str, text: str) -> Answer:
    """Store a comment verbatim on the case; the lead's answer showing it escaped."""
    with session_scope(engine) as session:
        comment(session, case_id, user_id, text)
        case = get_case(session, case_id)
    return Answer([commented_blocks(case, text)], kit.fallback_text(f"Comment added to case #{case.id}"))


# --- adjudication ------------------------------------------------------------------------------


def adjudication_form_job(
    engine: Engine, projects: Sequence[ProjectConfig], case_id: int, reply_channel: str
) -> dict:
    """The adjudication modal of an undecided case; ConflictError naming who decided otherwise."""
    with session_scope(engine) as session:
        case, project, item = _form_parts(session, projects, case_id)
        if case.status == "resolved":
            raise ConflictError(_decided_message(case))
        current = current_labels(session, project.guideline) if project is not None else None
        tasks = item_tasks(session, case.project, case.item_id)
    labels = current[1] if current else ()
    form = AdjudicationForm(case, labels, item, reply_channel, _reasons(project), tasks)
    return adjudication_modal(form)


def check_decision(
    session: Session, projects: Sequence[ProjectConfig], case_id: int | None, draft: DecisionDraft
) -> CheckedDecision:
    """The decision a submitted modal makes, or its errors by block (reads only)."""
    if case_id is None:
        return CheckedDecision({B_OUTCOME: "this form names no flag case; open it again from the queue"})
    try:
        case = get_case(session, case_id)
    except NotFoundError:
        return CheckedDecision({B_OUTCOME: f"there is no flag case {case_id}"})
    if case.status == "resolved":
        return CheckedDecision({B_OUTCOME: _decided_message(case)})
    project = _by_name(projects).get(case.project)
    if project is None:
        return CheckedDecision({B_OUTCOME: f"the project '{case.project}' is not configured any more"})
    current = current_labels(session, project.guideline)
    errors: dict[str, str] = {}
    if current is None:
        errors[B_FINAL if draft.final_label else B_OUTCOME] = (
            f"the guideline '{project.guideline}' of this project is not published"
        )
    if draft.section_to_change:
        parsed = parse_section_value(draft.section_to_change)
        if parsed is None:
            errors[B_CHANGE] = "not a guideline section; search for one"
        elif parsed[0] != project.guideline:
            errors[B_CHANGE] = f"this section is from '{parsed[0]}'; the project uses '{project.guideline}'"
    task, why = decision_task(item_tasks(session, case.project, case.item_id), draft.task.strip())
    if why is not None:
        # Slack requires a choice in a shown Task field: none means the form had none (opened before
        # the item joined a second task), and an error may name only a block of the form.
        errors[B_TASK if draft.task else B_OUTCOME] = why if draft.task else f"{why}; open the form again"
    decision = Decision(
        task=task or DEFAULT_TASK,
        final_label=draft.final_label,
        outcome=draft.outcome,
        note=draft.note,
        section_to_change=draft.section_to_change or None,
        add_to_gold=draft.add_to_gold,
    )
    for field_name, message in validate_decision(decision, labels=current[1] if current else None).items():
        errors.setdefault(_FIELD_BLOCK.get(field_name, B_OUTCOME), message)
    if errors:
        return CheckedDecision(errors)
    return CheckedDecision({}, case.id, case.project, decision)


def check_decision_job(
    engine: Engine, projects: Sequence[ProjectConfig], case_id: int | None, draft: DecisionDraft
) -> CheckedDecision:
    """`check_decision` in a read transaction of its own (runs before the ack)."""
    with session_scope(engine) as session:
        return check_decision(session, projects, case_id, draft)


def _declare(engine: Engine, project: ProjectConfig) -> None:
    """Make the configured project exist in the store (gold rows reference it)."""
    try:
        with session_scope(engine) as session:
            sync_config_projects(session, (project,))
    except IntegrityError:
        pass  # declared concurrently by another request: what we wanted


def adjudicate_job(
    engine: Engine, projects: Sequence[ProjectConfig], case_id: int, decision: Decision, by: str
) -> Adjudicated:
    """Store the decision (AlreadyAdjudicated when another lead was first); then the messages to send."""
    project = _by_name(projects).get(case_project_job(engine, case_id))
    if decision.add_to_gold and project is not None:
        _declare(engine, project)
    with session_scope(engine) as session:
        record = adjudicate(session, case_id, decision, by)
        case = get_case(session, case_id)
    notices: list[Notice] = []
    text = outcome_text(case, record)
    told: set[str] = set()
    for flag in case.flags:
        if flag.filed_by not in told:
            told.add(flag.filed_by)
            notices.append(Notice(flag.filed_by, outcome_dm_blocks(case, record, flag), text))
    threads: set[tuple[str, str]] = set()
    for flag in case.flags:
        if flag.channel and flag.thread_ts and (flag.channel, flag.thread_ts) not in threads:
            threads.add((flag.channel, flag.thread_ts))
            notices.append(Notice(flag.channel, thread_reply_blocks(case, record), text, flag.thread_ts))
    confirmation = Answer([decided_blocks(case, record, len(told))], text)
    return Adjudicated(case.id, confirmation, tuple(notices))


# --- the modal's external selects ----------------------------------------------------------------


def final_label_options_job(
    engine: Engine, projects: Sequence[ProjectConfig], project: str, query: str
) -> list:
    """Labels of the project's guideline containing `query` (label sets over 100)."""
    return label_options_job(engine, projects, project, query)


def section_change_options_job(
    engine: Engine, projects: Sequence[ProjectConfig], project: str, query: str
) -> list:
    """Sections of the project's guideline matching `query`."""
    if project not in _by_name(projects):
        return []
    return section_options_job(engine, projects, project, query)
