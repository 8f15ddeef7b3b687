"""Block Kit for triage: the `/flag queue` answer, the comment and adjudication modals, the outcome
messages (the flagger's DM, the thread reply, the lead's confirmation).

Pure functions over `bot/slack/blocks/kit.py`. Every user, item and document text is escaped; a user
id is written as a mention (`<@U…>`) only when it has a Slack user id's shape, otherwise as text.
Slack's limits hold by construction: long texts are split into sections (`kit.sections`), item texts
cut with "… (n more characters)", at most PER_PAGE cases per answer and MAX_FLAGS_SHOWN flags per
case, answers paginated into messages by `kit.paginate`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.config import SLACK_USER_ID
from bot.slack.blocks import item_text, kit
from bot.slack.blocks.flag_case import case_buttons
from bot.slack.blocks.kit import Block
from bot.slack.blocks.mrkdwn import escape, link
from bot.store.flags import CaseRecord, DecisionRecord, FlagRecord
from reports.flags.draft import parse_section_value
from reports.flags.input import MAX_COMMENT, OUTCOMES

CALLBACK_ADJUDICATE = "flag_case_adjudicate_submit"
CALLBACK_COMMENT = "flag_case_comment_submit"
B_FINAL = "flagq_final_label"
B_OUTCOME = "flagq_outcome"
B_NOTE = "flagq_note"
B_CHANGE = "flagq_section_change"
B_GOLD = "flagq_add_to_gold"
B_TASK = "flagq_task"
B_COMMENT = "flagq_comment"
GOLD_VALUE = "add_to_gold"
OUTCOME_TEXT = {
    "annotator_right": "The flagger was right",
    "other_right": "The other label was right",
    "both_acceptable": "Both labels are acceptable",
    "guideline_must_change": "The guideline must change",
}
assert set(OUTCOME_TEXT) == set(OUTCOMES)
# A queue answer goes to the command's response_url, which Slack takes five times: what the cases of
# a page show is bounded so that a page of the longest texts fits MAX_MESSAGES messages.
PER_PAGE = 10
MAX_MESSAGES = 4
MAX_FLAGS_SHOWN = 3
ITEM_SHOWN = 500  # characters of an item's text in the queue
ITEM_SHOWN_MODAL = 1500
COMMENT_SHOWN = 200  # characters of a flag's comment or a case comment in the queue
SHORT_SHOWN = 100  # a label, a reason, an id, a slug, a version, an anchor
LABELS_SHOWN = 250  # a list of labels
NOTE_SHOWN = 1500  # characters of a resolution note in the outcome messages
SECTION_MIN_QUERY = 2


@dataclass(frozen=True)
class ShownItem:
    """What the store knows of an item, to show it: its text and URL (either may be missing)."""

    text: str | None
    url: str | None


@dataclass(frozen=True)
class QueuePage:
    """One `/flag queue` answer: the cases of this page and what the heading says about all of them."""

    cases: tuple[CaseRecord, ...]
    items: Mapping[tuple[str, str], ShownItem]  # (project, item id) -> what it shows
    reasons: Mapping[tuple[str, str], str]  # (project, reason id) -> the reason's label
    total: int
    page: int
    filters: str  # raw text, as typed back
    projects: tuple[str, ...]
    user_id: str
    now: datetime


@dataclass(frozen=True)
class AdjudicationForm:
    """What the adjudication modal shows: the case, the label choices, the item, where to answer."""

    case: CaseRecord
    labels: tuple[str, ...]
    item: ShownItem | None
    reply_channel: str
    reasons: Mapping[str, str]  # reason id -> label, of the case's project
    tasks: tuple[str, ...] = ()  # the tasks the item is in; the lead picks one when there are several


# --- text --------------------------------------------------------------------------------------


def cut(text: str, limit: int) -> str:
    """`text` escaped, at most `limit` characters; longer, it ends with "… (n more characters)"."""
    return item_text.item_text(text, limit)


def one_line(text: str) -> str:
    """Text on one line, escaped."""
    return escape(" ".join(text.split()))


def code(text: str, limit: int = SHORT_SHOWN) -> str:
    """Text in inline code, escaped and shortened (a backtick inside would end the code span: replaced)."""
    shown = kit.shorten(text.replace("`", "'"), limit)
    return f"`{shown}`" if shown else "` `"


def user(user_id: str | None) -> str:
    """A user as mrkdwn: a mention for a Slack user id, otherwise the escaped text."""
    if not user_id:
        return "nobody"
    if SLACK_USER_ID.fullmatch(user_id):
        return f"<@{user_id}>"
    return one_line(user_id)


def quote(text: str, limit: int) -> str:
    """`text` as a mrkdwn quote, escaped and cut (`cut`)."""
    return "\n".join(f">{line}" for line in cut(text, limit).splitlines() or [""])


def age(opened: datetime, now: datetime) -> str:
    """How long ago, roughly: "5 min", "3 h", "2 d"."""
    seconds = max(0, int((now - opened).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def item_mrkdwn(item: ShownItem | None, limit: int) -> str:
    """The item's link and text as escaped mrkdwn, at most about `limit` characters ("" for nothing)."""
    if item is None:
        return ""
    shown = item_text.item_mrkdwn(item.text, item.url, limit)
    return f"*Item*\n{shown}" if shown.strip() else ""


def conflict_labels(case: CaseRecord) -> list[str]:
    """The labels in conflict across the case's flags, each once, in filing order."""
    seen: dict[str, None] = {}
    for f in case.flags:
        seen.setdefault(f.my_label)
        for o in f.other_labels:
            seen.setdefault(o.label)
    return list(seen)


def section_at(f: FlagRecord) -> str:
    """A flag's guideline section at its version: `slug` `v1.2.0` `#anchor`."""
    out = f"{code(f.guideline)} {code('v' + f.version)}"
    return out + (f" {code('#' + f.anchor)}" if f.anchor else "")


def _flag_line(f: FlagRecord, reasons: Mapping[str, str]) -> str:
    others = ", ".join(f"{o.label} ({o.source})" for o in f.other_labels) or "—"
    line = (
        f"• {user(f.filed_by)}: *{kit.shorten(f.my_label, SHORT_SHOWN)}* vs {kit.shorten(others, LABELS_SHOWN)}"
        f" · reason {kit.shorten(reasons.get(f.reason, f.reason), SHORT_SHOWN)} · {section_at(f)}"
    )
    if f.comment.strip():
        line += f"\n    “{kit.shorten(f.comment, COMMENT_SHOWN)}”"
    return line


def case_summary(case: CaseRecord, reasons: Mapping[str, str], now: datetime | None = None) -> str:
    """A case as mrkdwn: item, state, flags (at most MAX_FLAGS_SHOWN), labels in conflict, last comment."""
    head = f"*Case #{case.id}* · {one_line(case.project)} · item {code(case.item_id)}"
    if now is not None:
        head += f" · opened {age(case.opened_at, now)} ago"
    holder = f"assigned to {user(case.assignee)}" if case.assignee else "unassigned"
    lines = [head + f" · {holder}"]
    labels = conflict_labels(case)
    if labels:
        lines.append("*Labels in conflict* " + kit.shorten(" · ".join(labels), LABELS_SHOWN))
    lines.append(f"*Flags* ({len(case.flags)})")
    lines += [_flag_line(f, reasons) for f in case.flags[:MAX_FLAGS_SHOWN]]
    if len(case.flags) > MAX_FLAGS_SHOWN:
        lines.append(f"• … and {len(case.flags) - MAX_FLAGS_SHOWN} more")
    comments = [e for e in case.events if e.kind == "comment" and e.text]
    if comments:
        last = comments[-1]
        lines.append(
            f"*Comments* ({len(comments)}), the latest by {user(last.by)}: "
            f"“{kit.shorten(last.text or '', COMMENT_SHOWN)}”"
        )
    return "\n".join(lines)


# --- the queue ---------------------------------------------------------------------------------


def queue_blocks(q: QueuePage) -> list[Block]:
    """The queue answer: a heading, each case of the page with its item and its buttons, what follows."""
    scope = ", ".join(q.projects)
    blocks: list[Block] = [kit.header("Flag queue")]
    filters = f" · filters {code(q.filters)}" if q.filters else ""
    if not q.cases:
        empty = (
            "No open case matches." if q.total == 0 else f"Page {q.page} is past the end ({q.total} cases)."
        )
        blocks += kit.note(f"{q.total} unresolved case{'s' * (q.total != 1)} in {one_line(scope)}{filters}")
        blocks += kit.sections(f"_{empty}_")
        return blocks
    first = (q.page - 1) * PER_PAGE + 1
    last = first + len(q.cases) - 1
    blocks += kit.note(
        f"{q.total} unresolved case{'s' * (q.total != 1)} in {one_line(scope)}{filters} · "
        f"oldest first · showing {first}–{last}"
    )
    for case in q.cases:
        blocks.append(kit.divider())
        reasons = {rid: label for (p, rid), label in q.reasons.items() if p == case.project}
        blocks += kit.sections(case_summary(case, reasons, q.now))
        shown = item_mrkdwn(q.items.get((case.project, case.item_id)), ITEM_SHOWN)
        if shown:
            blocks += kit.sections(shown)
        blocks += kit.actions(
            case_buttons(case.id, assigned_to_me=case.assignee == q.user_id), block_id=f"flagq-{case.id}"
        )
    if last < q.total:
        more = " ".join(p for p in (q.filters, f"page:{q.page + 1}") if p)
        blocks.append(kit.divider())
        blocks += kit.note(f"{q.total - last} more: `/flag queue {one_line(more).replace('`', '')}`")
    return blocks


def queue_text(q: QueuePage) -> str:
    """The notification text of a queue answer."""
    return kit.fallback_text("Flag queue", f"{q.total} unresolved")


# --- modals ------------------------------------------------------------------------------------


def metadata(case_id: int, project: str, reply_channel: str) -> str:
    """A triage modal's private_metadata: the case, its project (for options), where to answer."""
    data: dict[str, Any] = {"case": case_id, "p": project}
    if reply_channel:
        data["c"] = reply_channel
    return json.dumps(data, separators=(",", ":"))


def _options(values: Sequence[str], labels: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    fits = list(dict.fromkeys(v for v in values if 0 < len(v) <= kit.OPTION_VALUE_MAX))
    return [kit.option((labels or {}).get(v, v), v) for v in fits[: kit.SELECT_OPTIONS_MAX]]


def label_select(labels: Sequence[str]) -> dict[str, Any]:
    """The final label: a static select when the label set fits one, else an external select."""
    offered = list(dict.fromkeys(v for v in labels if 0 < len(v) <= kit.OPTION_VALUE_MAX))
    element: dict[str, Any] = {
        "action_id": B_FINAL,
        "placeholder": kit.plain_text("The label the item should have", kit.PLACEHOLDER_MAX),
    }
    if len(offered) <= kit.SELECT_OPTIONS_MAX:
        element.update(type="static_select", options=_options(offered))
    else:
        element.update(type="external_select", min_query_length=1)
    return element


TASK_MAX = 200  # the annotations' task column
TASK_HINT = "The item is labelled in several tasks: the one the final label (and gold) answers."


def task_element(tasks: Sequence[str]) -> dict[str, Any]:
    """The task of the decision: a static select of the item's tasks, or typed when they do not fit one."""
    if len(tasks) <= kit.SELECT_OPTIONS_MAX and all(0 < len(t) <= kit.OPTION_VALUE_MAX for t in tasks):
        return {"type": "static_select", "action_id": B_TASK, "options": _options(tasks)}
    return {"type": "plain_text_input", "action_id": B_TASK, "max_length": TASK_MAX}


def label_options(labels: Sequence[str], query: str) -> list[dict[str, Any]]:
    """Labels containing `query` (case-insensitive), for a label set too big for a static select."""
    q = query.strip().casefold()
    return _options([v for v in labels if q in v.casefold()])


def _case_context(case: CaseRecord, item: ShownItem | None, reasons: Mapping[str, str]) -> list[Block]:
    blocks = kit.sections(case_summary(case, reasons))
    shown = item_mrkdwn(item, ITEM_SHOWN_MODAL)
    if shown:
        blocks += kit.sections(shown)
    return blocks


def adjudication_modal(form: AdjudicationForm) -> dict[str, Any]:
    """The adjudication modal: final label, outcome, note, optional section to change, add to gold."""
    case = form.case
    blocks = _case_context(case, form.item, form.reasons)
    blocks.append(kit.divider())
    if not form.labels:
        blocks += kit.sections("_The project's guideline has no label set: no final label can be chosen._")
    else:
        blocks.append(kit.input_block(B_FINAL, "Final label", label_select(form.labels)))
    if len(form.tasks) > 1:
        blocks.append(kit.input_block(B_TASK, "Task", task_element(form.tasks), hint=TASK_HINT))
    outcome = {
        "type": "radio_buttons",
        "action_id": B_OUTCOME,
        "options": [kit.option(OUTCOME_TEXT[o], o) for o in OUTCOMES],
    }
    blocks.append(kit.input_block(B_OUTCOME, "Outcome", outcome))
    note = {"type": "plain_text_input", "action_id": B_NOTE, "multiline": True, "max_length": MAX_COMMENT}
    blocks.append(
        kit.input_block(B_NOTE, "Resolution note", note, optional=True, hint="Sent to the flaggers.")
    )
    change = {
        "type": "external_select",
        "action_id": B_CHANGE,
        "placeholder": kit.plain_text("Search the guideline", kit.PLACEHOLDER_MAX),
        "min_query_length": SECTION_MIN_QUERY,
    }
    blocks.append(
        kit.input_block(
            B_CHANGE,
            "Guideline section to change",
            change,
            optional=True,
            hint="Type two or more characters to search the project's guideline.",
        )
    )
    gold = {
        "type": "checkboxes",
        "action_id": B_GOLD,
        "options": [kit.option("Add the final label to the gold set", GOLD_VALUE)],
    }
    blocks.append(kit.input_block(B_GOLD, "Gold", gold, optional=True))
    return kit.modal(
        "Adjudicate",
        blocks[: kit.MAX_BLOCKS_PER_VIEW],
        submit="Decide",
        close="Cancel",
        callback_id=CALLBACK_ADJUDICATE,
        private_metadata=metadata(case.id, case.project, form.reply_channel),
    )


def comment_modal(
    case: CaseRecord, item: ShownItem | None, reasons: Mapping[str, str], reply_channel: str
) -> dict[str, Any]:
    """The comment modal of a case: what the case is, and one text input."""
    blocks = _case_context(case, item, reasons)
    element = {
        "type": "plain_text_input",
        "action_id": B_COMMENT,
        "multiline": True,
        "max_length": MAX_COMMENT,
    }
    blocks.append(kit.input_block(B_COMMENT, "Comment", element))
    return kit.modal(
        "Comment on the case",
        blocks[: kit.MAX_BLOCKS_PER_VIEW],
        submit="Comment",
        close="Cancel",
        callback_id=CALLBACK_COMMENT,
        private_metadata=metadata(case.id, case.project, reply_channel),
    )


# --- answers after an action ---------------------------------------------------------------------


def _change(decision: DecisionRecord) -> str:
    value = decision.section_to_change or ""
    parsed = parse_section_value(value)
    if parsed is None:
        return code(value)
    return f"{code(parsed[0])} {code('#' + parsed[1])}"


def decision_lines(case: CaseRecord, decision: DecisionRecord) -> list[str]:
    """What was decided, as mrkdwn lines (the note quoted)."""
    lines = [
        f"*Final label* {one_line(decision.final_label)} · *Outcome* {OUTCOME_TEXT.get(decision.outcome, '')}",
    ]
    if decision.section_to_change:
        lines.append(f"*Section to change* {_change(decision)}")
    if decision.add_to_gold:
        lines.append(f"The final label is now the gold answer of the item (task {code(decision.task)}).")
    if decision.note.strip():
        lines.append("*Note*\n" + quote(decision.note, NOTE_SHOWN))
    return lines


def outcome_dm_blocks(case: CaseRecord, decision: DecisionRecord, flag: FlagRecord) -> list[Block]:
    """The flagger's DM: their flag, and what was decided."""
    head = (
        f":scales: Your flag on item {code(case.item_id)} ({one_line(case.project)}), where you labeled "
        f"*{one_line(flag.my_label)}*, was adjudicated by {user(decision.decided_by)}."
    )
    lines = [head, *decision_lines(case, decision)]
    if flag.permalink and flag.permalink.startswith(("https://", "http://")):
        lines.append(f"Filed from {link(flag.permalink, 'this message')}")
    return kit.sections("\n".join(lines))


def thread_reply_blocks(case: CaseRecord, decision: DecisionRecord) -> list[Block]:
    """The reply under the message a flag was filed from."""
    head = (
        f":scales: The flag case #{case.id} on item {code(case.item_id)} ({one_line(case.project)}) "
        f"was adjudicated by {user(decision.decided_by)}."
    )
    return kit.sections("\n".join([head, *decision_lines(case, decision)]))


def decided_blocks(case: CaseRecord, decision: DecisionRecord, told: int) -> list[Block]:
    """The lead's confirmation."""
    head = f":white_check_mark: Case #{case.id} on item {code(case.item_id)} is decided."
    tail = f"Told by DM: {told} flagger{'s' * (told != 1)}." if told else ""
    return kit.sections("\n".join(filter(None, [head, *decision_lines(case, decision), tail])))


def outcome_text(case: CaseRecord, decision: DecisionRecord) -> str:
    """The notification text of the outcome messages."""
    return kit.fallback_text(f"Flag on {case.item_id} adjudicated", f"final label {decision.final_label}")


def assigned_blocks(case: CaseRecord) -> list[Block]:
    """The answer to Assign to me."""
    return kit.sections(
        f":raising_hand: Case #{case.id} on item {code(case.item_id)} ({one_line(case.project)}) "
        f"is assigned to {user(case.assignee)}."
    )


def commented_blocks(case: CaseRecord, text: str) -> list[Block]:
    """The answer to a comment: the comment as stored, escaped."""
    return kit.sections(
        f":speech_balloon: Comment added to case #{case.id} on item {code(case.item_id)}:\n"
        + quote(text, NOTE_SHOWN)
    )
