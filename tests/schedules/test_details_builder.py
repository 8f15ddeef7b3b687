"""The per-annotator thread reply (pure): every annotator once, escaped, split within Block Kit limits."""

from __future__ import annotations

import json

from bot.slack.blocks import kit
from bot.slack.schedule.builder import annotator_details, empty_window_message

EVIL = "<!channel> & <@U123>"


def _row(i: int) -> dict:
    name = f"{EVIL} ann-{i:03d} " + "x" * 150
    return {
        "annotator": name,
        "annotations": 1200 + i,
        "agreement_with_consensus": 0.8,
        "consensus_n": 300,
        "gold_accuracy": 0.9 if i % 2 else None,
        "gold_n": 40,
        "gold_ci": [0.77, 0.96] if i % 2 else None,
        "alerts": [f"{name}: gold accuracy fell to 60% " + EVIL * 40] if i % 3 == 0 else [],
    }


def test_many_hostile_annotators_are_all_shown_escaped_within_limits() -> None:
    messages = annotator_details({"project": EVIL, "annotators": [_row(i) for i in range(300)]})
    assert len(messages) > 1  # split, not cut
    shown = ""
    for m in messages:
        blocks = m["blocks"]
        assert len(blocks) <= kit.MAX_BLOCKS_PER_MESSAGE and kit.message_size(blocks) <= kit.MESSAGE_CHARS_MAX
        assert all(len(b["text"]["text"]) <= kit.SECTION_TEXT_MAX for b in blocks)
        assert "<!channel>" not in json.dumps(m) and "&amp;lt;" not in json.dumps(m)
        shown += "\n".join(b["text"]["text"] for b in blocks)
    for i in range(300):
        assert shown.count(f"ann-{i:03d} ") == 1  # one line each (the alert drops the name it opens with)
    assert "1,201 annotations" in shown and "gold 90% (95% CI 77–96%, n=40)" in shown


def test_no_annotators_no_reply_and_the_empty_line_is_escaped_once() -> None:
    assert annotator_details({"project": "p", "annotators": []}) == []
    message = empty_window_message("a & b", None, "UTC")
    assert "a &amp; b" in message["blocks"][0]["text"]["text"] and "&amp;amp;" not in json.dumps(message)
