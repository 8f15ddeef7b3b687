"""Filing flags from Slack: build the modal, answer its options, check a submission, store it (issue 12).

Jobs (`fn(engine, …)`, plain data in and out, no Slack client): `form_job` builds the flag modal for
a draft (pre-filled from a command, a message or a `/guide` answer), `check_job` turns a submitted
draft into a `FlagInput` or inline errors by block, `file_job` stores a checked flag in one
transaction and returns the filer's confirmation, `section_options_job` and `label_options_job`
answer the modal's external selects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.config import ProjectConfig
from bot.errors import NotFoundError
from bot.jobs.answer import Answer
from bot.slack.flags.builder import (
    B_ANNOTATOR,
    B_COMMENT,
    B_GOLD,
    B_ITEM,
    B_MODEL,
    B_MY_LABEL,
    B_PROJECT,
    B_REASON,
    B_SECTION,
    SECTION_MIN_QUERY,
    FiledSummary,
    FormView,
    ShownItem,
    ShownLabel,
    filed_blocks,
    filed_text,
    flag_modal,
    label_options,
    section_label,
    section_options,
)
from bot.store.db import session_scope
from bot.store.flags import file_flag
from bot.store.guidelines import current_labels, get_section
from bot.store.items import get_items
from bot.store.search import MAX_LIMIT, search_sections
from reports.flags.draft import FlagDraft, candidates, explicit_item, parse_section_value
from reports.flags.input import FlagInput, OtherLabel, text_problem, validate_flag_input
from reports.flags.taxonomy import find_reason

# validate_flag_input's field -> the modal block that shows its message.
_FIELD_BLOCK = {
    "project": B_PROJECT,
    "item_id": B_ITEM,
    "my_label": B_MY_LABEL,
    "reason": B_REASON,
    "guideline": B_SECTION,
    "version": B_SECTION,
    "anchor": B_SECTION,
    "comment": B_COMMENT,
}


@dataclass(frozen=True)
class MessageText:
    """A message a flag is filed from: its text as read (mrkdwn decoded) and its link targets."""

    text: str
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class Checked:
    """A checked submission: the flag to store, or the inline errors (block id -> message)."""

    errors: dict[str, str]
    flag: FlagInput | None = None
    reason_label: str = ""
    section_title: str | None = None


# --- reading items (the one place that knows the item store's shape) ----------------------------


def _shown_item(session: Session, project: str, item_id: str) -> ShownItem | None:
    """What the store knows of an item (display data, labels), or None."""
    return _shown_items(session, project, [item_id]).get(item_id)


def _shown_items(session: Session, project: str, item_ids: Sequence[str]) -> dict[str, ShownItem]:
    """The items of `item_ids` the store knows in `project` (display data or labels), as the modal shows them."""
    return {
        item_id: ShownItem(
            text=record.text,
            url=record.url,
            labels=tuple(ShownLabel(lab.source, lab.label, lab.annotator) for lab in record.labels),
        )
        for item_id, record in get_items(session, project, item_ids).items()
    }


# --- the modal ---------------------------------------------------------------------------------


def _by_name(projects: Sequence[ProjectConfig]) -> dict[str, ProjectConfig]:
    return {p.name: p for p in projects}


def _only(names: Sequence[str]) -> str:
    return names[0] if len(set(names)) == 1 else ""


def _recognise(
    session: Session, projects: Sequence[ProjectConfig], draft: FlagDraft, message: MessageText
) -> FlagDraft:
    """The item (and its project, when only one knows it) a message names."""
    explicit = explicit_item(message.text) or next(filter(None, map(explicit_item, message.links)), None)
    if explicit is not None:
        return replace(draft, item_id=explicit)
    ids = candidates(message.text, message.links)
    if not ids:
        return draft
    wanted = [p for p in projects if not draft.project or p.name == draft.project]
    known = {p.name: _shown_items(session, p.name, ids) for p in wanted}
    for item_id in ids:
        where = [name for name, items in known.items() if item_id in items]
        if where:
            return replace(draft, item_id=item_id, project=draft.project or _only(where))
    return draft


def _choose_project(session: Session, projects: Sequence[ProjectConfig], draft: FlagDraft) -> FlagDraft:
    """Pre-select the project when the context names exactly one."""
    if draft.project in _by_name(projects):
        return draft
    draft = replace(draft, project="")
    names = [p.name for p in projects]
    section = parse_section_value(draft.section)
    guesses = [
        _only(names),
        _only([p.name for p in projects if draft.reply_channel and draft.reply_channel in p.channels]),
        _only([p.name for p in projects if section and p.guideline == section[0]]),
    ]
    if draft.item_id and len(names) <= 20:
        guesses.append(_only([p.name for p in projects if _shown_item(session, p.name, draft.item_id)]))
    return replace(draft, project=next((g for g in guesses if g), ""))


def _prefill_labels(draft: FlagDraft, item: ShownItem, user_id: str, labels: tuple[str, ...]) -> FlagDraft:
    """The labels the item has: the filer's own as theirs, the others' and gold as the other labels."""
    known = [lab for lab in item.labels if lab.label in labels]
    mine = draft.my_label or next((lab.label for lab in known if lab.who == user_id), "")
    others = tuple(
        dict.fromkeys(
            lab.label
            for lab in known
            if lab.source == "annotator" and lab.who != user_id and lab.label != mine
        )
    )
    gold = next((lab.label for lab in known if lab.source == "gold"), "")
    return replace(
        draft,
        my_label=mine,
        annotator_labels=draft.annotator_labels or others,
        gold_label=draft.gold_label or gold,
    )


def form_view(
    session: Session,
    projects: Sequence[ProjectConfig],
    draft: FlagDraft,
    *,
    user_id: str = "",
    message: MessageText | None = None,
) -> FormView:
    """What the modal shows for `draft`, with what the store knows filled in."""
    notes: list[str] = []
    if draft.item_id and text_problem(draft.item_id, 200) is not None:
        notes.append("The item id given is not one (too long, or more than one line); type it below.")
        draft = replace(draft, item_id="")
    if message is not None and not draft.item_id:
        draft = _recognise(session, projects, draft, message)
    draft = _choose_project(session, projects, draft)
    project = _by_name(projects).get(draft.project)
    labels: tuple[str, ...] | None = None
    reasons: tuple[tuple[str, str], ...] = ()
    item = None
    if project is not None:
        current = current_labels(session, project.guideline)
        if current is None:
            notes.append(f"The guideline '{project.guideline}' of this project is not published yet.")
        labels = current[1] if current else ()
        reasons = tuple((r.id, r.label) for r in project.flag_reasons)
        if draft.item_id:
            item = _shown_item(session, project.name, draft.item_id)
            if item is not None:
                draft = _prefill_labels(draft, item, user_id, labels)
    section_title = None
    if draft.section:
        section_title, note = _section_title(session, draft.section)
        if section_title is None:
            draft = replace(draft, section="")
            notes.append(note)
    return FormView(
        draft=draft,
        projects=tuple(p.name for p in projects),
        labels=labels,
        reasons=reasons,
        item=item,
        section_title=section_title,
        notes=tuple(notes),
    )


def _section_title(session: Session, value: str) -> tuple[str | None, str]:
    parsed = parse_section_value(value)
    if parsed is None:
        return None, "That is not a guideline section."
    slug, anchor = parsed
    try:
        _, section = get_section(session, slug, anchor)
    except NotFoundError as exc:
        return None, f"The section could not be pre-filled: {exc.message}"
    return section_label(tuple(section.path), section.title, anchor), ""


def form_job(
    engine: Engine,
    projects: Sequence[ProjectConfig],
    draft: FlagDraft,
    *,
    user_id: str = "",
    message: MessageText | None = None,
) -> dict:
    """The flag modal (a view) for `draft`, in a read transaction of its own."""
    with session_scope(engine) as session:
        return flag_modal(form_view(session, projects, draft, user_id=user_id, message=message))


# --- options -----------------------------------------------------------------------------------


def section_options_job(
    engine: Engine, projects: Sequence[ProjectConfig], project: str, query: str
) -> list[dict]:
    """Sections of the project's guideline (all guidelines while none is chosen) matching `query`."""
    if len(query.strip()) < SECTION_MIN_QUERY:
        return []
    chosen = _by_name(projects).get(project)
    with session_scope(engine) as session:
        result = search_sections(
            session, query, guideline=chosen.guideline if chosen else None, limit=MAX_LIMIT
        )
    return section_options(result.hits)


def label_options_job(
    engine: Engine, projects: Sequence[ProjectConfig], project: str, query: str
) -> list[dict]:
    """Labels of the project's guideline containing `query` (label sets too big for a static select)."""
    chosen = _by_name(projects).get(project)
    if chosen is None:
        return []
    with session_scope(engine) as session:
        current = current_labels(session, chosen.guideline)
    return label_options(current[1] if current else (), query)


# --- submission --------------------------------------------------------------------------------


def check(
    session: Session,
    projects: Sequence[ProjectConfig],
    draft: FlagDraft,
    *,
    user_id: str,
    idempotency_key: str,
) -> Checked:
    """The flag a submitted draft files, or its errors by block: labels, reason and section included."""
    errors: dict[str, str] = {}
    project = _by_name(projects).get(draft.project)
    guideline, version, labels = "", "", None
    if project is not None:
        guideline = project.guideline
        current = current_labels(session, guideline)
        if current is None:
            errors[B_PROJECT] = f"the guideline '{guideline}' of this project is not published yet"
        else:
            version, labels = current
    anchor, section_title = None, None
    if draft.section:
        parsed = parse_section_value(draft.section)
        if parsed is None:
            errors[B_SECTION] = "not a guideline section; search for one"
        elif project is not None and parsed[0] != guideline:
            errors[B_SECTION] = (
                f"this section is from '{parsed[0]}'; project {project.name} uses '{guideline}'"
            )
        else:
            anchor = parsed[1]
            section_title, _ = _section_title(session, draft.section)
    groups = (
        (B_ANNOTATOR, tuple(OtherLabel(lab, "annotator") for lab in draft.annotator_labels)),
        (B_GOLD, (OtherLabel(draft.gold_label, "gold"),) if draft.gold_label else ()),
        (B_MODEL, tuple(OtherLabel(lab, "model") for lab in draft.model_labels)),
    )
    flag = FlagInput(
        project=draft.project,
        item_id=draft.item_id,
        filed_by=user_id,
        my_label=draft.my_label,
        reason=draft.reason,
        guideline=guideline or "-",  # no project: its error is the project's, not the section's
        version=version or "-",
        other_labels=tuple(o for _, group in groups for o in group),
        anchor=anchor,
        comment=draft.comment,
        permalink=draft.permalink or None,
        channel=draft.channel or None,
        thread_ts=draft.thread_ts or None,
        idempotency_key=idempotency_key,
    )
    reasons = [r.id for r in project.flag_reasons] if project is not None else None
    names = list(_by_name(projects))
    for field_name, message in validate_flag_input(
        flag, projects=names, labels=labels, reasons=reasons
    ).items():
        if field_name == "other_labels":
            for block, group in groups:
                bad = validate_flag_input(replace(flag, other_labels=group), labels=labels)
                if "other_labels" in bad:
                    errors.setdefault(block, bad["other_labels"])
            continue
        block = _FIELD_BLOCK.get(field_name)
        if block is None:  # not typed by anyone: what Slack sent about the message or the view
            errors.setdefault(B_PROJECT, f"{field_name}: {message}")
        else:
            errors.setdefault(block, message)
    if errors:
        return Checked(errors)
    reason = find_reason(project.flag_reasons, draft.reason) if project is not None else None
    return Checked({}, flag, reason.label if reason else draft.reason, section_title)


def check_job(
    engine: Engine,
    projects: Sequence[ProjectConfig],
    draft: FlagDraft,
    *,
    user_id: str,
    idempotency_key: str,
) -> Checked:
    """`check` in a read transaction of its own (runs before the ack: reads only)."""
    with session_scope(engine) as session:
        return check(session, projects, draft, user_id=user_id, idempotency_key=idempotency_key)


def file_job(engine: Engine, checked: Checked) -> Answer | None:
    """Store a checked flag in one transaction; the filer's confirmation, None for a replayed submission.

    A replay (the same view id and hash) stores nothing and was confirmed when it was first stored.
    """
    flag = checked.flag
    if flag is None:
        raise ValueError("only a checked flag without errors can be filed")
    with session_scope(engine) as session:
        filed = file_flag(session, flag)
    if filed.duplicate:
        return None
    summary = FiledSummary(
        flag_id=filed.flag_id,
        case_id=filed.case_id,
        joined_existing=filed.joined_existing,
        project=flag.project,
        item_id=flag.item_id,
        my_label=flag.my_label,
        others=tuple((o.source, o.label) for o in flag.other_labels),
        reason=checked.reason_label,
        guideline=flag.guideline,
        version=flag.version,
        anchor=flag.anchor,
        section_title=checked.section_title,
        comment=flag.comment,
        permalink=flag.permalink,
    )
    return Answer([filed_blocks(summary)], filed_text(summary))
