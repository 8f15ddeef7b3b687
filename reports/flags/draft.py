"""A flag being filed (what the modal shows and sends back) and the item ids a message names (issue 12).

Pure: the Slack feature reads a modal's state into a `FlagDraft`, pre-fills one from a command, a
message or a `/guide` answer, and the job turns a complete draft into a `FlagInput`. No Slack, no SQL.

Item ids in a message, in the order they are tried (the first one that counts wins):

1. an explicit `item:ID` (or `item=ID`), taken as written, even when the store does not know it;
2. a Label Studio task link (`…/tasks/42`, `…?task=42`): the task id, which is what imports from
   Label Studio name the item (bot/imports/readers.py);
3. any other word of the message that is an item id the store knows in a configured project.

Steps 2 and 3 count only for ids the store knows (the caller checks `candidates`); step 1 always.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reports.flags.input import MAX_ITEM_ID

# At most this many words of a message are looked up as item ids (a pasted log must stay cheap).
MAX_CANDIDATES = 50
# `item:ID` / `item=ID`: the id runs to whitespace or to what ends it in prose or Slack markup.
_EXPLICIT = re.compile(r"(?<![\w-])item[:=]([^\s<>|`*]+)", re.IGNORECASE)
# Label Studio's task URLs: /tasks/42 (API, data manager) and ?task=42 / &task=42 (the labeling page).
_TASK = re.compile(r"(?:/tasks/|[?&]task=)(\d{1,20})(?!\d)")
_WORD = re.compile(r"[^\s<>|`*\"'()\[\]{},;]+")
# Prose punctuation that ends a sentence after an id ("see img-42.") is not part of it.
_TRAILING = ".,;:!?)]}'\""


@dataclass(frozen=True)
class FlagDraft:
    """What a flag modal holds: every field as typed or picked, "" / () when empty.

    `section` is an option value `slug#anchor`. `channel` and `thread_ts` name the message a flag
    was filed from (for the later thread reply), `reply_channel` where the filer is answered.
    """

    project: str = ""
    item_id: str = ""
    my_label: str = ""
    annotator_labels: tuple[str, ...] = ()
    gold_label: str = ""
    model_labels: tuple[str, ...] = ()
    reason: str = ""
    section: str = ""
    comment: str = ""
    permalink: str = ""
    channel: str = ""
    thread_ts: str = ""
    reply_channel: str = ""


def section_value(slug: str, anchor: str) -> str:
    """The option value naming a section: `slug#anchor` (slugs hold no `#`)."""
    return f"{slug}#{anchor}"


def parse_section_value(value: str) -> tuple[str, str] | None:
    """(slug, anchor) of a `section_value`, or None for anything else."""
    slug, sep, anchor = value.partition("#")
    if not sep or not slug.strip() or not anchor.strip():
        return None
    return slug, anchor


def explicit_item(text: str) -> str | None:
    """The first `item:ID` of a text, without trailing prose punctuation; None when there is none."""
    for match in _EXPLICIT.finditer(text):
        found = match.group(1).rstrip(_TRAILING)
        if found and len(found) <= MAX_ITEM_ID:
            return found
    return None


def candidates(text: str, links: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Ids to look up in the store, best first: task ids of Label Studio links, then the words.

    `links` are the link targets of the message (Slack markup keeps them apart from its text).
    """
    found: dict[str, None] = {}
    for source in (*links, text):
        for match in _TASK.finditer(source):
            found.setdefault(match.group(1))
    for match in _WORD.finditer(text):
        word = match.group().rstrip(_TRAILING)
        if word and len(word) <= MAX_ITEM_ID:
            found.setdefault(word)
        if len(found) >= MAX_CANDIDATES:
            break
    return tuple(found)[:MAX_CANDIDATES]
