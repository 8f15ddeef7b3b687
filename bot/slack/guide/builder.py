"""Block Kit messages for the `/guide` feature, built from guideline domain objects.

Pure functions: no Slack client, no I/O. Every document or user string is escaped; the one
deliberate mention is "Shared by <@U…>" in `section_blocks`, and only for a well-formed user id.
Functions returning a whole answer may exceed 50 blocks for long text: callers split them
with `kit.paginate`. Search and no-match results always fit one message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.slack.blocks import kit
from bot.slack.blocks.feedback_link import GUIDE_HELPFUL, GUIDE_NONE_OF_THESE, helpful_value, none_value
from bot.slack.blocks.flag_link import flag_button
from bot.slack.blocks.kit import Block
from bot.slack.blocks.mrkdwn import code_safe, escape, markdown_to_mrkdwn, snippet_to_mrkdwn
from bot.slack.blocks.section_link import GUIDE_SHARE_SECTION, GUIDE_SHOW_SECTION, section_ref

# Still importable from here for the digest builder and the console/digest tests (outside this
# change); they should import bot.slack.blocks.section_link, then this line goes.
from bot.slack.blocks.section_link import parse_section_ref as parse_section_ref
from bot.slack.blocks.tree_link import walk_button
from guidelines.diff import alias_change_line
from guidelines.model import GuidelineDiff, SearchHit
from guidelines.search.context import Assumed
from guidelines.search.features import CUE_NAMES

MAX_HITS_SHOWN = 10
MAX_SUGGESTIONS = 10
# The echoed query is a reminder, not content; a pasted essay should not crowd out the answers.
QUERY_ECHO_MAX = 500

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")
_DIFF_KINDS = ("added", "removed", "changed", "renamed")


# --- helpers -----------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return escape(" ".join(text.split()))


def _code(text: str) -> str:
    """Inline code for identifiers; backticks would end the span, so they are dropped."""
    return f"`{_one_line(text).replace('`', '')}`"


def _query_echo(query: str) -> str:
    return kit.shorten(query, QUERY_ECHO_MAX) or "(empty)"


def _mention(user_id: str) -> str:
    # fullmatch, not `^…$`: `$` would accept a trailing newline.
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id) else _one_line(user_id)


def _fit(head: list[Block], groups: Sequence[list[Block]], reserve: list[Block]) -> list[list[Block]]:
    """The leading groups that fit one message after `head`, keeping room for `reserve`."""
    blocks_left = kit.MAX_BLOCKS_PER_MESSAGE - len(head) - len(reserve)
    chars_left = kit.MESSAGE_CHARS_MAX - kit.message_size(head) - kit.message_size(reserve)
    taken: list[list[Block]] = []
    for group in groups:
        size = kit.message_size(group)
        if len(group) > blocks_left or size > chars_left:
            break
        taken.append(group)
        blocks_left -= len(group)
        chars_left -= size
    return taken


# --- search ------------------------------------------------------------------------------------


def _channel(channel_id: str) -> str:
    # A well-formed id renders as #name in Slack; anything else is not linked.
    return f"<#{channel_id}>" if _CHANNEL_ID.fullmatch(channel_id) else "this channel"


def assumed_line(assumed: Assumed) -> str:
    """Which guideline the answer ranks first and why, escaped: "in #channel: project X's guideline"."""
    title = f"Assumed *{_one_line(assumed.title)}*"
    if assumed.why == "named":
        why = "you named it"
    elif assumed.why == "thread":
        why = "in this thread, the guideline of its last answer"
    elif assumed.why == "project":
        why = f"in {_channel(assumed.channel)}, project {_one_line(assumed.project)}'s guideline"
    else:
        why = "in this DM, the guideline of your last question"
    # A named guideline comes first outright; a guessed one is weighted up (guidelines.search.context).
    rank = "its sections first" if assumed.why == "named" else "its sections weigh more"
    return f"{title}: {why} ({rank}; other guidelines' are marked _from …_)"


def _hit_blocks(
    hit: SearchHit, tree_id: str | None = None, other: bool = False, helpful: str | None = None
) -> list[Block]:
    ref = section_ref(hit.guideline, hit.version, hit.anchor)
    path = " › ".join(_one_line(p) for p in hit.path) or _one_line(hit.title)
    # With a guideline assumed, a section of another one says so.
    source = f"from *{_one_line(hit.guideline_title)}*" if other else f"*{_one_line(hit.guideline_title)}*"
    lines = [
        f"{source} {_code('v' + hit.version)}",
        f"{path}  {_code('#' + hit.anchor)}",
        f"also called: {_one_line(', '.join(hit.aliases))}" if hit.aliases else "",
        snippet_to_mrkdwn(hit.snippet),
    ]
    blocks = [kit.divider(), *kit.sections("\n".join(line for line in lines if line.strip()))]
    if hit.cues:
        # A pasted item found by what it shows (a percentage, an emoji), not by its words: say so.
        names = ", ".join(CUE_NAMES.get(c, c) for c in hit.cues)
        blocks += kit.note(escape(f"matched on: {names}"))
    if not hit.is_current:
        blocks += kit.note(f"from {_code('v' + hit.version)} — current is {_code('v' + hit.current_version)}")
    blocks += kit.actions(
        [
            kit.button("Show section", GUIDE_SHOW_SECTION, ref),
            kit.button("Share in channel", GUIDE_SHARE_SECTION, ref),
            # This section answered the question: it ranks first when the question comes again.
            *([kit.button("Helpful", GUIDE_HELPFUL, helpful)] if helpful else []),
            # The answer does not settle it: file a disagreement about this section.
            flag_button(hit.guideline, hit.version, hit.anchor),
            # A decision tree of the same version cites this section: walk it.
            *([walk_button(hit.guideline, hit.version, tree_id)] if tree_id else []),
        ]
    )
    return blocks


def search_results_blocks(
    query: str,
    hits: list[SearchHit],
    *,
    pinned: str | None,
    total: int,
    trees: Mapping[tuple[str, str, str], Sequence[str]] | None = None,
    assumed: Assumed | None = None,
    lookup_id: int | None = None,
) -> list[Block]:
    """Ranked guideline answers for `/guide QUERY`, at most 50 blocks; a hit whose section a tree cites
    (`trees`: (slug, version, anchor) → tree ids) gets a Walk the tree button. With a guideline
    `assumed`, the answer says which and why, and labels the sections of other guidelines. With the
    recorded `lookup_id`, each hit gets **Helpful** and the answer ends with **None of these**."""
    trees = trees or {}
    footer = feedback_blocks(lookup_id) if lookup_id is not None else []
    intro = f"Results for *{_query_echo(query)}*"
    if pinned:
        intro += f" · pinned to {_code('v' + pinned)}"
    if assumed:
        intro += f"\n{assumed_line(assumed)}"
    blocks = [kit.header("Guideline answers"), *kit.note(intro)]
    if not hits:
        return [*blocks, *kit.sections("Nothing in the guidelines matched.")]
    # Room is kept for the "N more results" line, sized for the longest count it could show.
    shown = _fit(
        blocks,
        [
            _hit_blocks(
                h,
                _first(trees.get((h.guideline, h.version, h.anchor))),
                other=assumed is not None and h.guideline != assumed.slug,
                helpful=None if lookup_id is None else helpful_value(lookup_id, i),
            )
            for i, h in enumerate(hits[:MAX_HITS_SHOWN])
        ],
        [*_more(max(total, len(hits))), *footer],
    )
    for group in shown:
        blocks += group
    return [*blocks, *_more(max(total, len(hits)) - len(shown)), *footer]


def feedback_blocks(lookup_id: int) -> list[Block]:
    """The answer's last line: what Helpful does, and the None of these button."""
    return [
        *kit.note(
            "Did a section answer it? *Helpful* under it puts it first when this is asked again; "
            "*None of these* tells the guideline's owners what is missing."
        ),
        *kit.actions([kit.button("None of these", GUIDE_NONE_OF_THESE, none_value(lookup_id))]),
    ]


def _first(ids: Sequence[str] | None) -> str | None:
    return ids[0] if ids else None


def _more(count: int) -> list[Block]:
    if count <= 0:
        return []
    return kit.note(f"{count} more result{'s' if count != 1 else ''} — refine the query to narrow them down.")


def no_match_blocks(
    query: str, suggestions: list[tuple[str, str, str, str]], lookup_id: int | None = None
) -> list[Block]:
    """Nothing matched: say so and offer the closest sections (slug, version, anchor, title); with the
    recorded `lookup_id`, a None of these button tells the guideline's owners."""
    footer = feedback_blocks(lookup_id) if lookup_id is not None else []
    blocks = kit.sections(f"Nothing in the guidelines matched *{_query_echo(query)}*.")
    if not suggestions:
        return [*blocks, *footer]
    blocks += kit.sections("Closest sections:")
    groups = []
    for slug, version, anchor, title in suggestions[:MAX_SUGGESTIONS]:
        # One section per suggestion with the button as accessory: action_ids must be unique
        # within a block, and every suggestion uses the same `guide_show_section`.
        group = kit.sections(f"*{_one_line(title)}*  {_code(f'{slug}@{version}')} {_code('#' + anchor)}")
        group[0]["accessory"] = kit.button(
            "Show section", GUIDE_SHOW_SECTION, section_ref(slug, version, anchor)
        )
        groups.append(group)
    for group in _fit(blocks, groups, footer):
        blocks += group
    return [*blocks, *footer]


# --- one section -------------------------------------------------------------------------------


def section_blocks(
    guideline_title: str,
    slug: str,
    version: str,
    current_version: str,
    section_path: tuple[str, ...],
    anchor: str,
    body_markdown: str,
    *,
    shared_by: str | None = None,
    aliases: Sequence[str] = (),
) -> list[Block]:
    """A whole guideline section; may exceed 50 blocks when long (paginate with `kit.paginate`)."""
    title = section_path[-1] if section_path and section_path[-1].strip() else anchor
    blocks = kit.heading(title)
    meta = [f"*{_one_line(guideline_title)}*", f"{_code(f'{slug}@{version}')} {_code('#' + anchor)}"]
    if len(section_path) > 1:
        meta.append(" › ".join(_one_line(p) for p in section_path))
    if aliases:
        meta.append(f"also called: {_one_line(', '.join(aliases))}")
    if version != current_version:
        meta.append(f"current is {_code('v' + current_version)}")
    if shared_by:
        meta.append(f"Shared by {_mention(shared_by)}")
    blocks += kit.note(" · ".join(meta))
    body = markdown_to_mrkdwn(body_markdown)
    blocks += kit.sections(body) if body.strip() else kit.note("_No text under this heading._")
    return blocks


# --- diff --------------------------------------------------------------------------------------


def diff_blocks(diff: GuidelineDiff) -> list[Block]:
    """Section-level changes between two versions; may exceed 50 blocks (paginate)."""
    blocks = kit.heading(f"{diff.guideline}: v{diff.old_version} → v{diff.new_version}")
    counts = {kind: 0 for kind in _DIFF_KINDS}
    for entry in diff.entries:
        counts[entry.kind] = counts.get(entry.kind, 0) + 1
    if not diff.entries and not diff.meta_changes:
        return [*blocks, *kit.sections("No differences between these versions.")]
    blocks += kit.sections(" · ".join(f"*{n}* {kind}" for kind, n in counts.items()))
    if diff.meta_changes:
        blocks += kit.sections("*Metadata*\n" + "\n".join(f"• {_one_line(m)}" for m in diff.meta_changes))
    for entry in diff.entries:
        old, new = entry.old_title or "", entry.new_title or ""
        if entry.kind == "renamed" or (old and new and old != new):
            title = f"{_one_line(old)} → {_one_line(new)}"
        else:
            title = _one_line(new or old)
        blocks += [
            kit.divider(),
            *kit.sections(f"*{entry.kind.capitalize()}* {_code('#' + entry.anchor)} {title}"),
        ]
        if entry.aliases_added or entry.aliases_removed:
            blocks += kit.sections(_one_line(alias_change_line(entry.aliases_added, entry.aliases_removed)))
        if entry.unified_diff.strip():
            blocks += kit.sections(f"```\n{code_safe(entry.unified_diff.rstrip())}\n```")
    return blocks


# --- help --------------------------------------------------------------------------------------


def help_blocks() -> list[Block]:
    """Usage of `/guide` and of mentioning the bot."""
    usage = "\n".join(
        [
            "`/guide QUERY` — search the current guidelines, e.g. `/guide sarcasm with emoji`",
            "`/guide QUERY @1.0.0` — search one published version instead of the current one",
            "`/guide SLUG: QUERY` — rank guideline SLUG's sections first, e.g. `/guide contract-ner: dates`",
            "`/guide diff SLUG V1 V2` — what changed in guideline SLUG between versions V1 and V2",
            "`/guide tree` — the decision trees for hard cases; `/guide tree SLUG/TREE[@VERSION]` walks one",
            "`/guide help` — this message",
            "`@annobot QUESTION` — ask in a channel and get the matching guideline sections",
            "*Helpful* under a section: it answered you, and ranks first when the question comes again; "
            "*None of these*: the question goes to the guideline's owners as unanswered",
        ]
    )
    return [
        kit.header("How to use /guide"),
        *kit.sections(usage),
        *kit.note(
            "Answers come from the published guidelines; buttons show or share a whole section. In a "
            "project's channel its guideline weighs more; in a thread, that of the last answer; in a DM, "
            "that of your last question."
        ),
    ]
