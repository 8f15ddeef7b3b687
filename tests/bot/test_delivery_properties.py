"""Issue 10 items 4 and 5 as properties over the real HTTP app (both backends): whatever is typed, a signed
command delivered several times answers once, and an @annobot mention always gets exactly one reply in
its thread (an answer or the explanation /guide would give), never silence."""

from __future__ import annotations

import itertools
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bot.helpers import Bot, texts
from tests.support.slackreq import slash_command_body

_n = itertools.count(1)
# Typed text: any character Slack can carry (no surrogates), with the command's own words frequent.
_TYPED = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from(
    ["", "help", "diff", "diff product-sentiment 1.0.0 9.9.9", "sarcasm @9.9.9", "sarcasm @", "@1.0.0"]
)
_SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(text=_TYPED, deliveries=st.integers(min_value=2, max_value=4))
def test_property_a_replayed_command_answers_once_whatever_its_text(
    bot: Bot, text: str, deliveries: int
) -> None:
    name = f"replay{next(_n)}"
    body = slash_command_body("/guide", text, response_url=bot.fake.response_url(name))
    ts = int(time.time())
    statuses = [bot.slack.send(body, timestamp=ts)[0] for _ in range(deliveries)]
    assert statuses == [200] * deliveries
    bot.fake.wait_for_response(name)
    time.sleep(0.3)  # a second answer would have arrived by now
    assert len(bot.fake.responses(name)) == 1


@_SETTINGS
@given(text=_TYPED)
def test_property_a_mention_always_gets_one_reply_in_its_thread(bot: Bot, text: str) -> None:
    n = next(_n)
    channel, ts = f"CMENTION{n}", f"1700000300.{n:06d}"
    event = {"type": "app_mention", "user": "U111", "text": f"<@UBOT> {text}", "ts": ts, "channel": channel}
    assert bot.slack.event(event, f"EvProp{n}")[0] == 200

    def mine() -> list:
        return [c for c in bot.fake.calls("chat.postMessage") if c.params.get("channel") == channel]

    deadline = time.monotonic() + 5
    while not mine() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)
    [post] = mine()
    assert post.params["thread_ts"] == ts
    assert texts(post.param_json("blocks")).strip()
