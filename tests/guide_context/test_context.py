"""The context guideline over real HTTP: project channel, DM, thread, named guideline (both backends)."""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.store.db import session_scope
from bot.store.projects import add_project
from tests.guide_context.conftest import (
    BOTH,
    PROJECTS,
    REVIEWS,
    first_refs,
    guide,
    mention,
    neutral_first,
    slugs,
    texts,
)

PS, QR, CN = "Product Review Sentiment", "Query-Document Relevance", "Contract Named Entities"


def test_in_a_project_channel_its_guideline_comes_first_and_others_are_labelled(make_bot: Any) -> None:
    bot = make_bot(*PROJECTS)
    blocks = guide(bot, BOTH, channel="CREVIEWS")
    assert first_refs(blocks) == ["product-sentiment#decision-order"]
    shown = texts(blocks)
    assert (
        f"Assumed *{PS}*: in <#CREVIEWS>, project reviews-q4's guideline (its sections weigh more;" in shown
    )
    # The others are still there, after it, and say where they come from.
    found = slugs(blocks)
    titles = {"contract-ner": CN, "query-relevance": QR}
    others = set(found) - {"product-sentiment"}
    assert others and all(f"from *{titles[slug]}*" in shown for slug in others)
    assert f"from *{PS}*" not in shown

    assert first_refs(guide(bot, BOTH, channel="CSEARCH", name="s")) == ["query-relevance#decision-order"]


def test_when_the_channel_guideline_fills_the_answer_another_keeps_the_last_place(make_bot: Any) -> None:
    bot = make_bot(*PROJECTS)
    blocks = guide(bot, "edge cases", channel="CREVIEWS")
    assert slugs(blocks) == ["product-sentiment"] * 4 + ["contract-ner"]
    assert first_refs(blocks, 5)[4] == "contract-ner#edge-cases"
    assert f"from *{CN}*" in texts(blocks)


def test_a_clearly_better_section_of_another_guideline_still_comes_first(make_bot: Any) -> None:
    bot = make_bot(*PROJECTS)
    # Hard examples is a product-sentiment title; query-relevance only mentions the words.
    blocks = guide(bot, "hard examples", channel="CSEARCH")
    assert first_refs(blocks) == ["product-sentiment#hard-examples"]
    assert "query-relevance" in slugs(blocks)
    assert f"from *{PS}*" in texts(blocks) and f"Assumed *{QR}*" in texts(blocks)


def test_no_project_no_assumption(make_bot: Any) -> None:
    bot = make_bot(*PROJECTS)
    blocks = guide(bot, BOTH, channel="C999")
    # The ranking without any guideline weighed: one of the three Decision order sections, unlabelled.
    assert first_refs(blocks) == [neutral_first(bot)]
    assert first_refs(blocks)[0].endswith("#decision-order")
    assert "Assumed" not in texts(blocks) and "from *" not in texts(blocks)


def test_a_section_only_elsewhere_is_still_answered_labelled(make_bot: Any) -> None:
    bot = make_bot(*PROJECTS)
    blocks = guide(bot, "indemnification cap", channel="CREVIEWS")
    # The channel's guideline has no such section: the other guideline's answers, labelled (with the
    # semantic extra, sections near in meaning of further guidelines may follow it).
    assert slugs(blocks) and slugs(blocks)[0] == "contract-ner"
    assert f"from *{CN}*" in texts(blocks)


def test_a_project_added_from_the_cli_counts_too(make_bot: Any) -> None:
    bot = make_bot()  # nothing in the config: the store's projects table says it
    with session_scope(bot.engine) as session:
        add_project(session, "qr-team", "query-relevance", ["CQRTEAM"])
    blocks = guide(bot, BOTH, channel="CQRTEAM")
    assert first_refs(blocks) == ["query-relevance#decision-order"]
    assert "project qr-team's guideline" in texts(blocks)


def test_a_channel_of_two_projects_with_two_guidelines_assumes_none(make_bot: Any) -> None:
    other = dataclasses.replace(REVIEWS, name="other", guideline="query-relevance")
    bot = make_bot(REVIEWS, other)
    blocks = guide(bot, BOTH, channel="CREVIEWS")
    assert first_refs(blocks) == [neutral_first(bot)]
    assert "Assumed" not in texts(blocks)


def test_in_a_dm_the_last_asked_guideline_comes_first_on_any_replica(make_bot: Any) -> None:
    one, two = make_bot(*PROJECTS), make_bot(*PROJECTS)
    # U1 last found a query-relevance section (in its project's channel), through replica one.
    assert first_refs(guide(one, "freshness", channel="CSEARCH", user="U1", name="a"))[0].startswith(
        "query-relevance#"
    )
    # In a DM, through replica two: the store says what U1 asked last.
    blocks = guide(two, BOTH, channel="D0DM1", user="U1", name="b")
    assert first_refs(blocks) == ["query-relevance#decision-order"]
    assert f"Assumed *{QR}*: in this DM, the guideline of your last question" in texts(blocks)
    # Then U1 asks a product-sentiment question: that is now the last one.
    guide(two, "sarcasm", channel="D0DM1", user="U1", name="c")
    blocks = guide(one, BOTH, channel="D0DM1", user="U1", name="d")
    assert first_refs(blocks) == ["product-sentiment#decision-order"]
    assert f"Assumed *{PS}*: in this DM, the guideline of your last question" in texts(blocks)
    # Someone who never asked: no assumption.
    blocks = guide(one, BOTH, channel="D0DM2", user="U2", name="e")
    assert first_refs(blocks) == [neutral_first(one)] and "Assumed" not in texts(blocks)


def test_a_question_without_a_hit_does_not_change_the_dm_guideline(make_bot: Any) -> None:
    bot = make_bot(*PROJECTS)
    guide(bot, "freshness", channel="CSEARCH", user="U1", name="a")
    guide(bot, "zzqqxx", channel="D0DM1", user="U1", name="b")  # no section matches
    assert first_refs(guide(bot, BOTH, channel="D0DM1", user="U1", name="c")) == [
        "query-relevance#decision-order"
    ]


def test_in_a_thread_the_last_answer_s_guideline_comes_first(make_bot: Any) -> None:
    bot = make_bot(*PROJECTS)
    # A mention in a channel without project: its answer (query-relevance) starts the thread.
    thread, blocks = mention(bot, "freshness", channel="C999")
    assert first_refs(blocks)[0].startswith("query-relevance#")
    _, blocks = mention(bot, BOTH, channel="C999", thread_ts=thread, user="U2")
    assert first_refs(blocks) == ["query-relevance#decision-order"]
    assert f"Assumed *{QR}*: in this thread, the guideline of its last answer" in texts(blocks)
    # Another thread of the same channel knows nothing of it.
    _, blocks = mention(bot, BOTH, channel="C999")
    assert first_refs(blocks) == [neutral_first(bot)] != ["query-relevance#decision-order"]
    assert "Assumed" not in texts(blocks)


def test_in_a_new_thread_of_a_project_channel_the_project_decides(make_bot: Any) -> None:
    bot = make_bot(*PROJECTS)
    thread, blocks = mention(bot, BOTH, channel="CREVIEWS")
    assert first_refs(blocks) == ["product-sentiment#decision-order"]
    assert "in <#CREVIEWS>, project reviews-q4's guideline" in texts(blocks)
    # A thread whose last answer named contract-ner keeps to contract-ner, even in that channel.
    mention(bot, "contract-ner: dates", channel="CREVIEWS", thread_ts=thread)
    _, blocks = mention(bot, BOTH, channel="CREVIEWS", thread_ts=thread)
    assert first_refs(blocks) == ["contract-ner#decision-order"]
    assert "in this thread" in texts(blocks)


def test_a_named_guideline_wins_over_the_channel(make_bot: Any) -> None:
    bot = make_bot(*PROJECTS)
    blocks = guide(bot, f"contract-ner: {BOTH}", channel="CREVIEWS")
    assert first_refs(blocks) == ["contract-ner#decision-order"]
    shown = texts(blocks)
    assert f"Assumed *{CN}*: you named it (its sections first;" in shown
    # Named: all its matching sections first, the best of the others in the last place.
    assert slugs(blocks) == ["contract-ner"] * 4 + ["product-sentiment"]
    assert f"Results for *{BOTH}*" in shown  # the slug is not searched as a word
    assert f"from *{PS}*" in shown
    # Case does not matter; a pinned version still applies.
    blocks = guide(bot, f"Query-Relevance: {BOTH} @1.0.0", channel="CREVIEWS", name="p")
    assert first_refs(blocks) == ["query-relevance#decision-order"] and "pinned to `v1.0.0`" in texts(blocks)


def test_a_word_before_a_colon_that_is_no_guideline_is_part_of_the_question(make_bot: Any) -> None:
    bot = make_bot(*PROJECTS)
    blocks = guide(bot, f"note: {BOTH}", channel="CSEARCH")
    assert first_refs(blocks) == ["query-relevance#decision-order"]
    assert f"Results for *note: {BOTH}*" in texts(blocks)


def test_project_and_guideline_text_in_the_line_is_escaped(make_bot: Any) -> None:
    loud = dataclasses.replace(REVIEWS, name="<!channel> *q4* & co")
    bot = make_bot(loud)
    shown = texts(guide(bot, BOTH, channel="CREVIEWS"))
    assert "<!channel>" not in shown
    assert "&lt;!channel&gt;" in shown and "&amp; co" in shown
