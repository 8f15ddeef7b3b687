"""Malformed, unsigned and mis-signed requests: 4xx only, no outbound call, no row, no traceback.

Every case goes over real HTTP to the real app (both backends). Several carry a `response_url` of
the fake Slack: the old error path posted "Something went wrong" there from an unverified body.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.slack.http import MAX_BODY_BYTES
from bot.slack.signing import Unverified, verify
from tests.bot.helpers import SECRET, Bot
from tests.conftest import row_counts
from tests.support.slackreq import event_body, raw_post, sign_raw, slash_command_body

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MENTION = {"type": "app_mention", "user": "U1", "text": "<@UBOT> sarcasm", "ts": "1.1", "channel": "C1"}


@dataclass(frozen=True)
class Case:
    """One request: raw body and the exact headers sent."""

    id: str
    body: bytes
    headers: dict[str, str | bytes]
    status: int | None = None  # the expected 4xx, when it is one in particular


def _now() -> str:
    return str(int(time.time()))


def _signed(body: bytes, content_type: str | None = FORM, ts: str | None = None, **extra: str) -> dict:
    ts = _now() if ts is None else ts
    headers: dict[str, str | bytes] = {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign_raw(SECRET, ts, body),
    }
    if content_type is not None:
        headers["Content-Type"] = content_type
    headers.update(extra)
    return headers


def corpus(response_url: str) -> list[Case]:
    """Every shape of refusal; built per test so that timestamps are fresh."""
    command = slash_command_body("/guide", "sarcasm", response_url=response_url).encode()
    event = event_body(MENTION, "EvRefused").encode()
    now = int(time.time())
    cases: list[Case] = []
    # Timestamps of every shape, each signed correctly over its own text: the shape alone refuses.
    shapes = {
        "empty": "",
        "non-numeric": "soon",
        "float": f"{now}.5",
        "negative": f"-{now}",
        "huge": "9" * 40,
        "unicode-digits": "١٢٣٤٥٦٧٨٩٠",
        "fullwidth-digits": "".join(chr(0xFF10 + int(d)) for d in str(now)),
        "inner-space": f"{str(now)[:5]} {str(now)[5:]}",
        "plus": f"+{now}",
        "underscores": f"{now:_}",
        "hex": hex(now),
        "old": str(now - 301),
        # Well past the window: the corpus is sent over several seconds on a busy machine, and a
        # timestamp only just ahead of the window falls inside it meanwhile.
        "future": str(now + 3600),
        "zero": "0",
    }
    for name, ts in shapes.items():
        headers = _signed(command, ts=ts)
        # Header bytes as UTF-8, so non-Latin digits reach the server as they would from a client.
        headers["X-Slack-Request-Timestamp"] = ts.encode()
        cases.append(Case(f"ts-{name}", command, headers, 401))
    good = _signed(command)
    correct = str(good["X-Slack-Signature"])
    for name, sig in {
        "missing": None,
        "empty": "",
        "zeros": "v0=" + "0" * 64,
        "v1": "v1=" + correct[3:],
        "upper-hex": "v0=" + correct[3:].upper(),
        "truncated": correct[:-1],
        "padded": correct + "0",
        "other-secret": sign_raw("not-the-secret", str(good["X-Slack-Request-Timestamp"]), command),
        "non-ascii": "v0=ü" + correct[4:],
    }.items():
        headers = {k: v for k, v in good.items() if k != "X-Slack-Signature"}
        if sig is not None:
            headers["X-Slack-Signature"] = sig.encode()
        cases.append(Case(f"sig-{name}", command, headers, 401))
    # Tampered: signed, then a byte changed (the response_url points elsewhere).
    tampered = command.replace(b"sarcasm", b"sarcasn")
    cases.append(Case("tampered-body", tampered, good, 401))
    cases.append(Case("event-unsigned", event, {"Content-Type": JSON}, 401))
    cases.append(Case("no-headers-at-all", command, {}, 401))
    # Unreadable bodies, unsigned and signed.
    latin1 = "text=caf\xe9&response_url=".encode("latin-1") + response_url.encode()
    for name, body, ctype in [
        ("non-utf8", b"\xff\xfe\xfd" + command, FORM),
        ("non-utf8-json", b'{"type": "event_callback", "x": "\xff"}', JSON),
        ("latin1-form", latin1, FORM),
        ("bad-json", b'{"type": "event_callback",', JSON),
        ("json-array", b"[1, 2, 3]", JSON),
        ("json-string", b'"payload"', JSON),
        ("deep-json", b"[" * 100_000 + b"]" * 100_000, JSON),
        ("deep-object", b'{"a": ' * 500 + b"1" + b"}" * 500, JSON),
        ("deep-payload", b"payload=" + (b"%7B%22a%22%3A" * 500) + b"1" + b"%7D" * 500, FORM),
        (
            "payload-not-json",
            urlencode({"payload": "{not json", "response_url": response_url}).encode(),
            FORM,
        ),
        (
            "payload-array",
            urlencode({"payload": json.dumps([{"response_url": response_url}])}).encode(),
            FORM,
        ),
        ("payload-number", b"payload=12", FORM),
        ("form-bad-percent", b"text=%ff%fe&command=%2Fguide", FORM),
        ("form-repeated", command + b"&text=again", FORM),
        ("empty-body", b"", FORM),
        ("wrong-content-type", command, "text/plain"),
        ("multipart", command, "multipart/form-data; boundary=x"),
        ("no-content-type", command, None),
    ]:
        cases.append(Case(f"unsigned-{name}", body, {} if ctype is None else {"Content-Type": ctype}, 401))
        status = 415 if name in ("wrong-content-type", "multipart", "no-content-type") else 400
        cases.append(Case(f"signed-{name}", body, _signed(body, ctype), status))
    huge = command + b"&pad=" + b"x" * MAX_BODY_BYTES
    cases.append(Case("huge-unsigned", huge, {"Content-Type": FORM}, 413))
    cases.append(Case("huge-signed", huge, _signed(huge), 413))
    cases.append(Case("bad-content-length", command, {**good, "Content-Length": "12abc"}, 400))
    return cases


@pytest.fixture
def watched(bot: Bot, caplog: pytest.LogCaptureFixture) -> Iterator[Bot]:
    """The bot, checked afterwards: nothing called, nothing written, nothing logged as a traceback."""
    caplog.set_level(logging.INFO)
    before = row_counts(bot.engine)
    yield bot
    time.sleep(0.2)  # anything sent after the answer (the old error path) would be recorded by now
    assert bot.fake.requests() == [], [c.method or c.name for c in bot.fake.requests()]
    assert row_counts(bot.engine) == before
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()
        assert "Traceback" not in record.getMessage()
    assert "Traceback" not in caplog.text


def test_refused_with_4xx_and_nothing_done(watched: Bot) -> None:
    # One test over the whole corpus: a bot (published examples) per case would take minutes.
    wrong = []
    for case in corpus(watched.fake.response_url("refused")):
        status, _ = raw_post(f"{watched.base}/slack/events", case.body, case.headers)
        if not 400 <= status < 500 or (case.status is not None and status != case.status):
            wrong.append(f"{case.id}: {status} (expected {case.status or '4xx'})")
    assert wrong == []


_HEADER_NAMES = st.sampled_from(
    ["Content-Type", "X-Slack-Request-Timestamp", "X-Slack-Signature", "X-Slack-Retry-Num", "X-Other"]
)
# Printable Latin-1 without CR/LF: what an HTTP client can put in a header value.
_HEADER_VALUES = st.one_of(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=80),
    st.sampled_from([FORM, JSON, "v0=" + "a" * 64, "v0=", "0", "-1", "1e9"]),
    st.integers(-(10**12), 10**12).map(str),
    st.just(None).map(lambda _: _now()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=500).map(str.encode),
        st.sampled_from([b"payload=%7B%7D", b'{"type":"url_verification","challenge":"x"}', b"ssl_check=1"]),
    ),
    headers=st.dictionaries(_HEADER_NAMES, _HEADER_VALUES, max_size=5),
)
def test_any_unsigned_request_is_refused(watched: Bot, body: bytes, headers: dict[str, str]) -> None:
    status, _ = raw_post(f"{watched.base}/slack/events", body, headers)
    assert 400 <= status < 500
    assert watched.fake.requests() == []


@pytest.mark.parametrize(
    "timestamp",
    [
        "١٢٣٤٥٦٧٨٩٠",
        " 1700000000",
        "1700000000 ",
        "+1700000000",
        "1_700_000_000",
        "1700000000\n",
        "",
        "17000000000000",
    ],
)
def test_only_ascii_digit_timestamps_are_read(timestamp: str) -> None:
    # int() accepts every one of these; Slack sends none of them.
    body = b"text=x"
    sig = sign_raw(SECRET, timestamp, body)
    with pytest.raises(Unverified):
        verify(SECRET, timestamp, sig, body, now=1_700_000_000)


def test_a_correct_signature_verifies() -> None:
    body = b"text=x"
    sig = sign_raw(SECRET, "1700000000", body)
    assert verify(SECRET, "1700000000", sig, body, now=1_700_000_299) == 1_700_000_000
    with pytest.raises(Unverified):
        verify(SECRET, "1700000000", sig, body, now=1_700_000_301)
    with pytest.raises(Unverified):
        verify("", "1700000000", sign_raw("", "1700000000", body), body, now=1_700_000_000)
