"""Arbitrary button values and question text: feedback writes at most what the asker's own answer allows."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.slack.blocks.feedback_link import (
    GUIDE_HELPFUL,
    GUIDE_NONE_OF_THESE,
    helpful_value,
    none_value,
    parse_feedback_value,
)
from bot.slack.edge import GENERIC
from guidelines.search.precedent import near_identical, question_key
from tests.bot.helpers import texts
from tests.feedback.conftest import click, feedback_rows, guide, helpful, none_of_these

VALUES = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"-?[0-9]{1,20}(:[0-9]{0,3})?", fullmatch=True),
    st.builds(lambda i, j: f"{i}:{j}", st.integers(-5, 10**19), st.integers(-5, 200)),
    st.sampled_from(["2147483647", "2147483648", "2147483648:0", "99999999999:1"]),  # INTEGER's edge
)
QUESTIONS = st.one_of(
    st.text(max_size=120),
    st.lists(
        st.sampled_from(["sarcasm", "emoji", "not", "Neutral", "?", "*bold*", "<@U1>", "&", "🎉"]), max_size=6
    ).map(" ".join),
)


@given(value=VALUES)
@settings(max_examples=300, deadline=None)
def test_a_value_parses_only_as_an_id_and_an_optional_position(value: str) -> None:
    try:
        lookup_id, index = parse_feedback_value(value)
    except ValueError:
        return
    assert 1 <= lookup_id <= 2**31 - 1 and (index is None or 0 <= index <= 99)
    assert value in (none_value(lookup_id), helpful_value(lookup_id, index or 0))


@given(text=QUESTIONS)
@settings(max_examples=300, deadline=None)
def test_keys_ignore_case_punctuation_and_spacing(text: str) -> None:
    key = question_key(text)
    noisy = f"  {text.upper()} ?!  ".replace(" ", "   ")
    assert question_key(noisy) == question_key(text.upper()) and (
        not key or near_identical(key, question_key(text))
    )
    assert question_key(text.lower() + "?") == question_key(text.lower())


def test_negation_is_never_near_identical() -> None:
    a, b = (
        question_key("is an emoji alone enough for positive"),
        question_key("is an emoji alone not enough for positive"),
    )
    assert not near_identical(a, b)
    assert near_identical(
        question_key("Is sarcastic praise negative?"), question_key("is sarcastic praise negative")
    )
    assert near_identical(question_key("Isn't sarcasm negative"), question_key("is sarcasm not negative"))


@given(value=VALUES, action=st.sampled_from([GUIDE_HELPFUL, GUIDE_NONE_OF_THESE]))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_button_value_over_http_is_answered_and_writes_only_for_the_asker(
    make_bot: Any, value: str, action: str
) -> None:
    bot = _bot(make_bot)
    before = feedback_rows(bot)
    answer = click(bot, action, value, user="U999")  # asked nothing: nothing of theirs to mark
    assert GENERIC not in texts(answer) and ":warning:" in texts(answer)
    assert feedback_rows(bot) == before


@given(text=QUESTIONS)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_question_over_http_gets_buttons_that_record_it_once(make_bot: Any, text: str) -> None:
    bot = _bot(make_bot)
    blocks = guide(bot, text)
    values = [v for v in [*helpful(blocks)] if v]
    if "How to use /guide" in texts(blocks) or not (values or _has_none(blocks)):
        return  # help, a tree list, a diff: not a search, no feedback
    before = feedback_rows(bot)
    answer = click(bot, GUIDE_NONE_OF_THESE, none_of_these(blocks))
    assert "Thanks" in texts(answer)
    assert feedback_rows(bot) == (before[0] + 1, before[1])


_BOTS: dict[int, Any] = {}


def _bot(make_bot: Any) -> Any:
    # One app per test function (hypothesis reuses the function-scoped fixtures across examples).
    key = id(make_bot)
    if key not in _BOTS:
        _BOTS.clear()
        _BOTS[key] = make_bot()
    return _BOTS[key]


def _has_none(blocks: list[dict[str, Any]]) -> bool:
    return GUIDE_NONE_OF_THESE in str(blocks)
