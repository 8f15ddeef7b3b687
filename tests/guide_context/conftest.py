"""`/guide` and `@annobot` with a context guideline, over real HTTP against the fake Slack (both backends).

Two projects are configured: reviews-q4 (product-sentiment) in CREVIEWS and search-relevance
(query-relevance) in CSEARCH. "decision order" matches a section of each example guideline, whose
lexical scores are nearly equal (BM25F within 1%): without context, which comes first is a tie-break
(the lexical one without the semantic extra, the nearest in meaning with it), so the tests compare an
answer without context with the store's ranking without context (`neutral_first`) instead of pinning
a guideline; which comes first in a context shows the context.
"""

from __future__ import annotations

from typing import Any

from bot.config import ProjectConfig
from bot.slack.blocks.section_link import GUIDE_SHOW_SECTION, parse_section_ref
from bot.store.db import session_scope
from bot.store.fused import fused_search
from tests.bot.helpers import Bot, buttons, texts
from tests.support.projectbot import fake, make_bot, publish_example_guidelines  # noqa: F401  (fixtures)

REVIEWS = ProjectConfig(name="reviews-q4", guideline="product-sentiment", channels=("CREVIEWS",))
SEARCH = ProjectConfig(name="search-relevance", guideline="query-relevance", channels=("CSEARCH",))
PROJECTS = (REVIEWS, SEARCH)
BOTH = "decision order"  # in every example guideline, nearly tied without context


def neutral_first(bot: Bot, text: str = BOTH) -> str:
    """The first hit for `text` with no guideline assumed, as "slug#anchor": the store's own ranking
    (lexical, fused with the meaning when the extra is installed), as `/guide` asks it."""
    with session_scope(bot.engine) as session:
        hits = fused_search(session, text, limit=5).hits
    assert hits, text
    return f"{hits[0].guideline}#{hits[0].anchor}"


def guide(bot: Bot, text: str, *, channel: str, user: str = "U111", name: str = "r") -> list[dict[str, Any]]:
    """`/guide TEXT` in `channel` as `user`: the blocks of the (one-page) ephemeral answer."""
    url = bot.fake.response_url(name)
    status, _, body = bot.slack.command("/guide", text, user_id=user, channel_id=channel, response_url=url)
    assert status == 200 and body == ""
    [call] = bot.fake.wait_for_response(name)
    assert call.params["response_type"] == "ephemeral"
    return call.params["blocks"]


_MENTIONS = iter(range(1_000_000))


def mention(
    bot: Bot, text: str, *, channel: str, thread_ts: str | None = None, user: str = "U111"
) -> tuple[str, list[dict[str, Any]]]:
    """`@annobot TEXT` in `channel` (in the thread `thread_ts` if given): (the thread answered in, blocks)."""
    n = next(_MENTIONS)
    ts = f"17000{n:05d}.000100"
    event = {"type": "app_mention", "user": user, "text": f"<@UBOT> {text}", "ts": ts, "channel": channel}
    if thread_ts:
        event["thread_ts"] = thread_ts
    before = len(bot.fake.calls("chat.postMessage"))
    status, _, _ = bot.slack.event(event, f"EvCtx{n}")
    assert status == 200
    post = bot.fake.wait_for("chat.postMessage", count=before + 1)[before]
    return post.params["thread_ts"], post.param_json("blocks")


def first_refs(blocks: list[dict[str, Any]], n: int = 1) -> list[str]:
    """The first `n` hits as "slug#anchor"."""
    refs = [parse_section_ref(v) for v in buttons(blocks, GUIDE_SHOW_SECTION)]
    return [f"{slug}#{anchor}" for slug, _v, anchor in refs[:n]]


def slugs(blocks: list[dict[str, Any]]) -> list[str]:
    """The guideline of each hit, in order."""
    return [parse_section_ref(v)[0] for v in buttons(blocks, GUIDE_SHOW_SECTION)]


__all__ = [
    "BOTH",
    "PROJECTS",
    "REVIEWS",
    "SEARCH",
    "first_refs",
    "guide",
    "mention",
    "neutral_first",
    "slugs",
    "texts",
]
