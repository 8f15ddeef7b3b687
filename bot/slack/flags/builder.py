"""Block Kit for filing flags: the modal, the options it loads, the filer's confirmation, `/flag help`.

Pure functions over `bot/slack/blocks/kit.py`. Every user, item and document text is escaped (plain
text objects by `kit.plain_text`, mrkdwn by `escape`); Slack's limits hold by construction: option
texts are shortened to 75, values that would pass 150 are not offered, a select holds at most 100
options (a label set over 100 is searched through an external select instead), initial values are
set only when Slack would accept them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.slack.blocks import kit
from bot.slack.blocks.kit import Block
from bot.slack.blocks.mrkdwn import escape, link
from guidelines.model import SearchHit
from reports.flags.draft import FlagDraft, section_value
from reports.flags.input import MAX_COMMENT, MAX_ITEM_ID, text_problem

CALLBACK = "flag_submit"
# Block ids; each input's action id is its block id (prefixed: Bolt matches action ids app-wide).
B_PROJECT = "flag_project"
B_ITEM = "flag_item"
B_MY_LABEL = "flag_my_label"
B_ANNOTATOR = "flag_other_annotator"
B_GOLD = "flag_other_gold"
B_MODEL = "flag_other_model"
B_REASON = "flag_reason"
B_SECTION = "flag_section"
B_COMMENT = "flag_comment"
LABEL_BLOCKS = (B_MY_LABEL, B_ANNOTATOR, B_GOLD, B_MODEL)
# Choosing a project or pressing Enter in the item field rebuilds the modal for them.
REFRESH_ACTIONS = (B_PROJECT, B_ITEM)
# Slack sends no options request for fewer characters than this.
SECTION_MIN_QUERY = 2
# An item's text in the modal and in the confirmation: enough to recognise it.
ITEM_TEXT_SHOWN = 1200
COMMENT_SHOWN = 1500
MORE = "… ({n:,} more characters)"


@dataclass(frozen=True)
class ShownLabel:
    """A label an item has in the store: its source (annotator, gold) and whose."""

    source: str
    label: str
    who: str | None = None


@dataclass(frozen=True)
class ShownItem:
    """What the store knows of an item, to show in the modal."""

    text: str | None
    url: str | None
    labels: tuple[ShownLabel, ...]


@dataclass(frozen=True)
class FormView:
    """Everything the modal shows: the choices, what is pre-filled, what the store knows."""

    draft: FlagDraft
    projects: tuple[str, ...]
    labels: tuple[str, ...] | None  # the chosen project's label set; None while none is chosen
    reasons: tuple[tuple[str, str], ...] = ()  # (id, label) of the chosen project's taxonomy
    item: ShownItem | None = None
    section_title: str | None = None
    notes: tuple[str, ...] = ()  # raw text: why something could not be pre-filled


@dataclass(frozen=True)
class FiledSummary:
    """What the filer is told after filing (raw text; escaped when built)."""

    flag_id: int
    case_id: int
    joined_existing: bool
    project: str
    item_id: str
    my_label: str
    others: tuple[tuple[str, str], ...]  # (source, label)
    reason: str  # the reason's label
    guideline: str
    version: str
    anchor: str | None
    section_title: str | None
    comment: str
    permalink: str | None


# --- text --------------------------------------------------------------------------------------


def cut(text: str, limit: int) -> str:
    """`text` escaped; over `limit` raw characters it is cut and ends with "… (n more characters)"."""
    if len(text) <= limit:
        return escape(text)
    return escape(text[:limit]) + MORE.format(n=len(text) - limit)


def _one_line(text: str) -> str:
    return escape(" ".join(text.split()))


def _quote(text: str, limit: int) -> str:
    return "\n".join(f">{line}" for line in cut(text, limit).splitlines() or [""])


# --- the modal ---------------------------------------------------------------------------------


def _options(values: Sequence[str], text: dict[str, str] | None = None) -> list[dict[str, Any]]:
    # Each value once (a label set may repeat one): Slack needs options it can tell apart.
    fits = list(dict.fromkeys(v for v in values if 0 < len(v) <= kit.OPTION_VALUE_MAX))
    return [kit.option((text or {}).get(v, v), v) for v in fits[: kit.SELECT_OPTIONS_MAX]]


def _select(
    action_id: str, placeholder: str, choices: Sequence[str], initial: Sequence[str], *, multi: bool = False
) -> dict[str, Any]:
    """A static select when the choices fit one, else an external select searching them."""
    offered = list(dict.fromkeys(v for v in choices if 0 < len(v) <= kit.OPTION_VALUE_MAX))
    element: dict[str, Any] = {
        "action_id": action_id,
        "placeholder": kit.plain_text(placeholder, kit.PLACEHOLDER_MAX),
    }
    if len(offered) <= kit.SELECT_OPTIONS_MAX:
        element["type"] = "multi_static_select" if multi else "static_select"
        element["options"] = _options(offered)
    else:
        element["type"] = "multi_external_select" if multi else "external_select"
        element["min_query_length"] = 1
    chosen = [kit.option(v, v) for v in initial if v in offered][: kit.SELECT_OPTIONS_MAX if multi else 1]
    if chosen and multi:
        element["initial_options"] = chosen
    elif chosen:
        element["initial_option"] = chosen[0]
    return element


def _text_input(action_id: str, initial: str, limit: int, *, multiline: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": action_id, "max_length": limit}
    if multiline:
        element["multiline"] = True
    if initial and text_problem(initial, limit, lines=multiline) is None:
        element["initial_value"] = initial
    return element


def _item_blocks(item: ShownItem) -> list[Block]:
    lines = []
    if item.url and item.url.startswith(("https://", "http://")) and len(item.url) <= 1000:
        lines.append(link(item.url, "the item as labeled"))
    if item.text:
        lines.append(_quote(item.text, ITEM_TEXT_SHOWN))
    blocks = kit.sections("\n".join(lines)) if lines else []
    if item.labels:
        shown = [
            f"{escape(lab.source)}{' ' + _one_line(lab.who) if lab.who else ''}: *{_one_line(lab.label)}*"
            for lab in item.labels[:20]
        ]
        more = f" · {len(item.labels) - 20} more" if len(item.labels) > 20 else ""
        blocks += kit.note("Labels in the store: " + " · ".join(shown) + more)
    return blocks


def metadata(draft: FlagDraft) -> str:
    """The modal's private_metadata: where the flag comes from (kept across the modal's updates)."""
    data = {"p": draft.permalink, "c": draft.channel, "t": draft.thread_ts, "r": draft.reply_channel}
    return json.dumps({k: v for k, v in data.items() if v}, separators=(",", ":"))


def flag_modal(form: FormView) -> dict[str, Any]:
    """The flag modal for `form`: project, item, labels, reason, section, comment."""
    d = form.draft
    blocks: list[Block] = []
    if d.permalink.startswith(("https://", "http://")):
        blocks += kit.note(f"Filed from {link(d.permalink, 'this message')}")
    for note in form.notes:
        blocks += kit.note(f":information_source: {_one_line(note)}")
    project = _select(B_PROJECT, "Choose the project", form.projects, [d.project])
    blocks.append(kit.input_block(B_PROJECT, "Project", project, dispatch_action=True))
    item = _text_input(B_ITEM, d.item_id, MAX_ITEM_ID)
    item["dispatch_action_config"] = {"trigger_actions_on": ["on_enter_pressed"]}
    blocks.append(
        kit.input_block(
            B_ITEM,
            "Item",
            item,
            hint="The item id (a Label Studio task id, or the id your import used). Enter shows what "
            "the store knows of it.",
            dispatch_action=True,
        )
    )
    if form.item is not None:
        blocks += _item_blocks(form.item)
    if form.labels is None:
        blocks += kit.sections("_Choose a project: its labels and reasons appear here._")
    elif not form.labels:
        blocks += kit.sections("_This project's guideline has no label set, so no label can be flagged._")
    else:
        blocks += _label_inputs(form)
    if form.labels is not None and form.reasons:
        options = [kit.option(label, rid) for rid, label in form.reasons][: kit.SELECT_OPTIONS_MAX]
        reason: dict[str, Any] = {
            "type": "static_select",
            "action_id": B_REASON,
            "placeholder": kit.plain_text("Why do the labels differ?", kit.PLACEHOLDER_MAX),
            "options": options,
        }
        initial = next((o for o in options if o["value"] == d.reason), None)
        if initial is not None:
            reason["initial_option"] = initial
        blocks.append(kit.input_block(B_REASON, "Reason", reason))
    blocks.append(
        kit.input_block(
            B_SECTION,
            "Guideline section",
            _section_select(form),
            optional=True,
            hint="Type two or more characters to search the project's guideline.",
        )
    )
    comment = _text_input(B_COMMENT, d.comment, MAX_COMMENT, multiline=True)
    blocks.append(kit.input_block(B_COMMENT, "Comment", comment, optional=True))
    return kit.modal(
        "Flag disagreement",
        blocks,
        submit="File flag",
        close="Cancel",
        callback_id=CALLBACK,
        private_metadata=metadata(d),
    )


def _label_inputs(form: FormView) -> list[Block]:
    d, labels = form.draft, form.labels or ()
    return [
        kit.input_block(B_MY_LABEL, "My label", _select(B_MY_LABEL, "Your label", labels, [d.my_label])),
        kit.input_block(
            B_ANNOTATOR,
            "Other annotators' label(s)",
            _select(B_ANNOTATOR, "Labels of other annotators", labels, d.annotator_labels, multi=True),
            optional=True,
        ),
        kit.input_block(
            B_GOLD, "Gold label", _select(B_GOLD, "The gold answer", labels, [d.gold_label]), optional=True
        ),
        kit.input_block(
            B_MODEL,
            "Model label(s)",
            _select(B_MODEL, "Pre-labels of a model", labels, d.model_labels, multi=True),
            optional=True,
        ),
    ]


def _section_select(form: FormView) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "external_select",
        "action_id": B_SECTION,
        "placeholder": kit.plain_text("Search the guideline", kit.PLACEHOLDER_MAX),
        "min_query_length": SECTION_MIN_QUERY,
    }
    value = form.draft.section
    if value and form.section_title and len(value) <= kit.OPTION_VALUE_MAX:
        element["initial_option"] = kit.option(form.section_title, value)
    return element


# --- options -----------------------------------------------------------------------------------


def section_options(hits: Sequence[SearchHit]) -> list[dict[str, Any]]:
    """Options for the section select: a hit's path and anchor; at most 100, values within 150."""
    out = []
    for hit in hits:
        value = section_value(hit.guideline, hit.anchor)
        if len(value) > kit.OPTION_VALUE_MAX:
            continue  # an anchor this long cannot be named by an option; the others still can
        out.append(kit.option(section_label(hit.path, hit.title, hit.anchor), value))
    return out[: kit.SELECT_OPTIONS_MAX]


def section_label(path: Sequence[str], title: str, anchor: str) -> str:
    """How an option names a section (raw; kit.option shortens and escapes it)."""
    shown = " › ".join(p for p in path if p.strip()) or title or anchor
    return f"{shown} #{anchor}"


def label_options(labels: Sequence[str], query: str) -> list[dict[str, Any]]:
    """Labels containing `query` (case-insensitive) for a label set too big for a static select."""
    q = query.strip().casefold()
    return _options([v for v in labels if q in v.casefold()])


# --- after filing ------------------------------------------------------------------------------


def filed_blocks(s: FiledSummary) -> list[Block]:
    """The filer's confirmation: what was stored, every text escaped."""
    joined = "joined the item's open case" if s.joined_existing else "opened a new case"
    head = f":triangular_flag_on_post: Flag #{s.flag_id} filed; it {joined} #{s.case_id}."
    others = ", ".join(f"{_one_line(label)} ({escape(source)})" for source, label in s.others) or "none given"
    section = f"{_one_line(s.guideline)} `v{_one_line(s.version)}`"
    if s.anchor:
        title = f" {_one_line(s.section_title)}" if s.section_title else ""
        section += f" `#{_one_line(s.anchor)}`{title}"
    lines = [
        head,
        f"*Project* {_one_line(s.project)} · *Item* `{_one_line(s.item_id).replace('`', '')}`",
        f"*My label* {_one_line(s.my_label)} · *Other labels* {others}",
        f"*Reason* {_one_line(s.reason)} · *Section* {section}",
    ]
    if s.permalink and s.permalink.startswith(("https://", "http://")):
        lines.append(f"Filed from {link(s.permalink, 'this message')}")
    blocks = kit.sections("\n".join(lines))
    if s.comment.strip():
        blocks += kit.sections("*Comment*\n" + _quote(s.comment, COMMENT_SHOWN))
    return blocks


def filed_text(s: FiledSummary) -> str:
    """The notification text of the confirmation."""
    return kit.fallback_text(f"Flag #{s.flag_id} on {s.item_id}", s.project)


def help_blocks(command: str, subcommands: Sequence[tuple[str, str]]) -> list[Block]:
    """Usage of `/flag`: the modal, an item, and each subcommand with what it does."""
    lines = [
        f"`{command}` — open the flag form: the item, your label, the other labels, the reason and "
        "the guideline section at stake",
        f"`{command} ITEM_ID` — the same, with the item filled in (`{command} item:ID` for an id that "
        "is also a subcommand)",
        *(f"`{command} {name}` — {escape(what)}" for name, what in subcommands),
        "*Flag disagreement* (a message's ⋯ menu) — file a flag from a message; the item is "
        "recognised from `item:ID`, a Label Studio task link or an item id the store knows",
        "*Flag* on a `/guide` answer — file a flag about that section",
    ]
    return [kit.header(f"How to use {command}"), *kit.sections("\n".join(lines))]


def coming_blocks(command: str, name: str) -> list[Block]:
    """A subcommand that is not built yet."""
    return kit.sections(f"`{command} {escape(name)}` is coming soon; `{command} help` lists what works now.")
