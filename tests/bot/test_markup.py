"""Slack markup in a query is read as Slack means it, not searched as words; the echo stays escaped."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.slack.blocks.mrkdwn import escape, plain_text
from bot.store.db import session_scope
from bot.store.models.slack import Lookup
from tests.bot.helpers import Bot, texts

# --- plain_text, pure --------------------------------------------------------------------------

CASES = [
    ("<!channel> sarcasm", " sarcasm"),
    ("<!here> <!everyone> sarcasm", "  sarcasm"),
    ("<!subteam^S1|@team> sarcasm", " sarcasm"),
    ("<@U123> sarcasm <@U123|ann>", " sarcasm "),
    ("in <#C1|general> and <#C2>", "in general and "),
    ("<https://x.test/a?b=1&amp;c=2|the rules> here", "the rules here"),
    ("<https://x.test/a?b=1&amp;c=2>", "https://x.test/a?b=1&c=2"),
    ("<mailto:a@b.test|write us>", "write us"),
    ("a &amp; b &lt;c&gt;", "a & b <c>"),
    ("&amp;lt; is the text &lt;", "&lt; is the text <"),
    ("tom &amp; jerry", "tom & jerry"),
    ("no markup at all", "no markup at all"),
]


@pytest.mark.parametrize(("slack", "plain"), CASES)
def test_plain_text_examples(slack: str, plain: str) -> None:
    assert plain_text(slack) == plain


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_plain_text_never_raises(text: str) -> None:
    assert isinstance(plain_text(text), str)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_typed_text_round_trips_through_slack_escaping(typed: str) -> None:
    # Slack's client escapes what a user types; reading it back gives exactly what was typed.
    assert plain_text(escape(typed)) == typed


_ID = st.from_regex(r"[A-Z0-9]{1,11}", fullmatch=True)
_URL = st.from_regex(r"https?://[a-z0-9.]{1,20}(/[a-zA-Z0-9/?=._-]{0,20})?", fullmatch=True)
_LABEL = st.text(min_size=1, max_size=20)
# (what Slack sends, what it means)
_PIECES = st.one_of(
    st.text(max_size=15).map(lambda t: (escape(t), t)),
    _ID.map(lambda u: (f"<@U{u}>", "")),
    st.tuples(_ID, _LABEL).map(lambda p: (f"<@U{p[0]}|{escape(p[1])}>", "")),
    st.sampled_from(["channel", "here", "everyone"]).map(lambda k: (f"<!{k}>", "")),
    st.tuples(_ID, _LABEL).map(lambda p: (f"<!subteam^S{p[0]}|{escape(p[1])}>", "")),
    st.tuples(_ID, _LABEL).map(lambda p: (f"<#C{p[0]}|{escape(p[1])}>", p[1])),
    st.tuples(_URL, _LABEL).map(lambda p: (f"<{p[0]}|{escape(p[1])}>", p[1])),
    _URL.map(lambda u: (f"<{u}>", u)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=8))
def test_markup_is_read_as_slack_means_it(pieces: list[tuple[str, str]]) -> None:
    slack = "".join(sent for sent, _ in pieces)
    meant = "".join(text for _, text in pieces)
    assert plain_text(slack) == meant


# --- over HTTP: /guide and @annobot ------------------------------------------------------------


def _lookups(bot: Bot) -> list[str]:
    with session_scope(bot.engine) as s:
        return list(s.scalars(select(Lookup.query).order_by(Lookup.id)))


QUERIES = [
    ("<!channel> <@U123> sarcasm <!here>", "sarcasm"),
    ("<!subteam^S1|@labelers> <https://wiki.test/x|sarcasm>", "sarcasm"),
    ("<#C1|sarcasm>", "sarcasm"),
    ("sarcasm &amp; irony", "sarcasm & irony"),
]


@pytest.mark.parametrize(("sent", "searched"), QUERIES)
def test_guide_searches_what_the_markup_means(bot: Bot, sent: str, searched: str) -> None:
    bot.slack.command("/guide", sent, response_url=bot.fake.response_url("m"))
    [reply] = bot.fake.wait_for_response("m")
    assert _lookups(bot) == [searched]
    shown = texts(reply.params["blocks"])
    assert escape(searched) in shown  # the echo is the plain query, escaped
    assert "Sarcasm and irony" in shown
    for markup in ("<!channel>", "<!here>", "<@U123>", "<!subteam", "<#C1", "<https://wiki"):
        assert markup not in shown


def test_mention_searches_what_the_markup_means(bot: Bot) -> None:
    event = {
        "type": "app_mention",
        "user": "U111",
        "text": "<@UBOT> <!here> sarcasm <@U222|bob> &amp; irony",
        "ts": "1700000002.000100",
        "channel": "C111",
    }
    assert bot.slack.event(event, "EvMarkup")[0] == 200
    [post] = bot.fake.wait_for("chat.postMessage")
    assert _lookups(bot) == ["sarcasm  & irony"]
    shown = texts(post.param_json("blocks"))
    assert "Sarcasm and irony" in shown and "<!here>" not in shown and "&amp; irony" in shown
