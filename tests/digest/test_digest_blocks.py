"""The Slack digest message: headline, alerts in words, confusions, section buttons, limits, escaping."""

from __future__ import annotations

import copy
import json

import pytest

from bot.jobs.digest import render
from bot.slack.blocks import kit
from bot.slack.digest.builder import DIGEST_OPEN_REPORT, digest_blocks
from bot.slack.guide.builder import GUIDE_SHOW_SECTION, parse_section_ref
from reports.digest import build_digest


@pytest.fixture
def digest(data, specs):  # type: ignore[no-untyped-def]
    df, gold = data
    return build_digest(df, gold, specs, None, n_boot=0).to_json()


def _texts(blocks: list[dict]) -> str:  # type: ignore[type-arg]
    return json.dumps(blocks, ensure_ascii=False)


def _check_limits(blocks: list[dict]) -> None:  # type: ignore[type-arg]
    assert len(blocks) <= kit.MAX_BLOCKS_PER_MESSAGE
    assert kit.message_size(blocks) <= kit.MESSAGE_CHARS_MAX
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= kit.SECTION_TEXT_MAX
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= kit.HEADER_TEXT_MAX
        if b["type"] == "context":
            assert len(b["elements"]) <= kit.CONTEXT_ELEMENTS_MAX


def test_headline_alerts_confusions_sections_and_report_button(digest) -> None:  # type: ignore[no-untyped-def]
    blocks = digest_blocks(digest, report_url="https://reports.example.org/demo.html")
    text = _texts(blocks)
    assert "α" in text and digest["headline"]["alpha_band"] in text
    assert "Gold accuracy" in text and "Volume" in text
    assert "Top confusions" in text
    shows = [b["accessory"] for b in blocks if b.get("accessory", {}).get("action_id") == GUIDE_SHOW_SECTION]
    assert {parse_section_ref(s["value"])[2] for s in shows} == {
        s["anchor"] for s in digest["guideline"]["sections"]
    }
    assert any(
        e.get("action_id") == DIGEST_OPEN_REPORT
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
    )
    _check_limits(blocks)


def test_trend_arrow_versus_previous(digest) -> None:  # type: ignore[no-untyped-def]
    d = copy.deepcopy(digest)
    d["headline"].update(alpha_previous=0.5, trend="up")
    assert "↑" in _texts(digest_blocks(d))


def test_many_alerts_long_names_stay_within_limits(digest) -> None:  # type: ignore[no-untyped-def]
    d = copy.deepcopy(digest)
    evil = "<!channel> & " + "x" * 400
    d["project"] = evil
    d["headline"]["alerts"] = [f"{evil}-{i}: gold accuracy fell to 10%" for i in range(500)]
    d["drift"] = [{"annotator": f"{evil}-{i}"} for i in range(500)]
    d["annotators"] = [
        {"annotator": f"{evil}-{i}", "alerts": [f"{evil}-{i}: gold accuracy fell to 10% " + evil] * 3}
        for i in range(500)
    ]
    d["confusions"] = [
        {
            "task": "t",
            "label_a": evil,
            "label_b": evil,
            "observed": 1.0,
            "expected": 1.0,
            "ratio": 1.0,
            "excess": 0,
        }
    ] * 200
    d["guideline"]["sections"] = [
        {"task": "t", "slug": "g", "version": "1", "anchor": f"a{i}", "title": evil, "why": evil}
        for i in range(200)
    ]
    d["releases"] = []
    blocks = digest_blocks(d, report_url="https://reports.example.org/x.html")
    _check_limits(blocks)
    text = _texts(blocks)
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp;" in text
    assert "&amp;lt;" not in text and "&amp;amp;" not in text  # escaped once, never twice
    assert "more annotator(s) with alerts: see the full report" in text


def test_no_alerts_and_na_alpha(digest) -> None:  # type: ignore[no-untyped-def]
    d = copy.deepcopy(digest)
    d["headline"].update(
        alpha=None, alpha_band=None, alpha_reason="only 3 pairable items (minimum 20)", alerts=[]
    )
    d["drift"] = []
    for a in d["annotators"]:
        a["alerts"] = []
    text = _texts(digest_blocks(d))
    assert "n/a (only 3 pairable items" in text and "No alerts in this window" in text


def test_render_blocks_is_json(digest) -> None:  # type: ignore[no-untyped-def]
    out = json.loads(render(digest, "blocks"))
    assert out["blocks"][0]["type"] == "header"
    assert out["text"].startswith(f"Quality digest for {digest['project']}, ")
    assert json.loads(render(digest, "json"))["project"] == digest["project"]


def _section_texts(blocks: list[dict]) -> str:  # type: ignore[type-arg]
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")


def test_one_line_per_annotator_with_an_alert_most_severe_first(digest) -> None:  # type: ignore[no-untyped-def]
    d = copy.deepcopy(digest)
    names = [a["annotator"] for a in d["annotators"]][:3]
    for a in d["annotators"]:
        a["alerts"] = []
    d["annotators"][0]["alerts"] = [f"{names[0]}: gold accuracy fell", f"{names[0]}: below the team"]
    d["annotators"][2]["alerts"] = [f"{names[2]}: below the team"]
    d["drift"] = [{"annotator": names[2]}, {"annotator": names[0]}]  # most severe first
    text = _section_texts(digest_blocks(d))
    lines = [line for line in text.split("\n") if line.startswith("• *") and "↔" not in line]
    assert lines == [
        f"• *{names[2]}*: below the team",
        f"• *{names[0]}*: gold accuracy fell; below the team",
    ]
    assert "annotator(s) with alerts" not in text  # all of them fit


def test_the_guideline_versions_and_a_pointer_to_the_full_report(digest) -> None:  # type: ignore[no-untyped-def]
    d = copy.deepcopy(digest)
    d["guideline"]["versions_seen"] = ["1.0.0", "1.1.0"]
    context = [e["text"] for b in digest_blocks(d) if b["type"] == "context" for e in b["elements"]]
    assert any(
        "Guideline grade-guide v2.0.0, species-guide v1.1.0 (annotations made under v1.0.0, v1.1.0)" in c
        for c in context
    ), context
    pointer = [c for c in context if c.startswith("Full report:")]
    assert pointer == [f"Full report: `annobot digest --project {d['project']} --format html --save`"]
    with_url = digest_blocks(d, report_url="https://reports.example.org/r.html")
    assert not any(
        e["text"].startswith("Full report:")
        for b in with_url
        if b["type"] == "context"
        for e in b["elements"]
    )


def test_the_fallback_text_is_escaped_and_bounded(digest) -> None:  # type: ignore[no-untyped-def]
    from bot.slack.digest.builder import FALLBACK_MAX, digest_message

    d = copy.deepcopy(digest)
    d["project"] = "<!channel> & " + "p" * 5000
    message = digest_message(d)
    assert "<!channel>" not in message["text"] and "&lt;!channel&gt; &amp;" in message["text"]
    assert len(message["text"]) <= FALLBACK_MAX
    _check_limits(message["blocks"])
