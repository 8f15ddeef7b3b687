"""Arbitrary channel ids, thread ids and text over real HTTP: always an answer, never a traceback."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.slack.edge import GENERIC
from tests.bot.helpers import texts
from tests.guide_context.conftest import PROJECTS

CHANNELS = st.one_of(
    st.sampled_from(["CREVIEWS", "CSEARCH", "C999", "D0DM1", "G0PRIV", "c", "D", ""]),
    st.text(max_size=40),
)
WORDS = st.sampled_from(
    [
        "decision",
        "order",
        "dates",
        "contract-ner:",
        "product-sentiment:",
        "nope:",
        "@1.0.0",
        "sarcasm",
        "<#C1>",
        "&",
    ]
)
TEXT = st.one_of(st.text(max_size=80), st.lists(WORDS, max_size=5).map(" ".join))
SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

_BOTS: dict[int, Any] = {}
_N = iter(range(1_000_000))


def _bot(make_bot: Any) -> Any:
    # One app per test (the fixtures are function-scoped, the examples share them).
    if id(make_bot) not in _BOTS:
        _BOTS.clear()
        _BOTS[id(make_bot)] = make_bot(*PROJECTS)
    return _BOTS[id(make_bot)]


@given(channel=CHANNELS, text=TEXT, user=st.sampled_from(["U1", "U2", "", "x y"]))
@SETTINGS
def test_any_slash_command_place_is_answered(make_bot: Any, channel: str, text: str, user: str) -> None:
    bot = _bot(make_bot)
    name = f"p{next(_N)}"
    status, _, body = bot.slack.command(
        "/guide", text, channel_id=channel, user_id=user, response_url=bot.fake.response_url(name)
    )
    assert status == 200 and body == ""
    [call] = bot.fake.wait_for_response(name)
    assert call.params["response_type"] == "ephemeral"
    shown = texts(call.params["blocks"])
    assert GENERIC not in shown and "Traceback" not in shown
    assert shown.strip()


# Slack sets a mention's channel and thread: any id-like string (no control or space characters, which
# the transport trims), Slack-shaped or not; the text is the user's.
VISIBLE = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1, max_size=30)
MENTION_CHANNELS = st.one_of(
    st.sampled_from(["CREVIEWS", "C999", "D0DM1"]),
    st.from_regex(r"[CGD][A-Z0-9]{1,15}", fullmatch=True),
    VISIBLE,
)
THREADS = st.one_of(st.none(), st.from_regex(r"\d{1,12}\.\d{1,6}", fullmatch=True), VISIBLE)


@given(channel=MENTION_CHANNELS, thread=THREADS, text=TEXT)
@SETTINGS
def test_any_mention_place_is_answered_in_its_thread(
    make_bot: Any, channel: str, thread: str | None, text: str
) -> None:
    bot = _bot(make_bot)
    n = next(_N)
    ts = f"17100{n:05d}.000200"
    event = {"type": "app_mention", "user": "U1", "text": f"<@UBOT> {text}", "ts": ts, "channel": channel}
    if thread is not None:
        event["thread_ts"] = thread
    before = len(bot.fake.calls("chat.postMessage"))
    assert bot.slack.event(event, f"EvProp{n}")[0] == 200
    post = bot.fake.wait_for("chat.postMessage", count=before + 1)[before]
    assert post.params["channel"] == channel
    assert post.params["thread_ts"] == (thread or ts)
    shown = post.params.get("text", "") + texts(
        post.param_json("blocks") if post.params.get("blocks") else []
    )
    assert GENERIC not in shown and "Traceback" not in shown and shown.strip()
