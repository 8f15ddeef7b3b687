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
    d["drift"] = [{"annotator": f"a{i}"} for i in range(500)]
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
    assert "more annotator(s) flagged" in text


def test_no_alerts_and_na_alpha(digest) -> None:  # type: ignore[no-untyped-def]
    d = copy.deepcopy(digest)
    d["headline"].update(
        alpha=None, alpha_band=None, alpha_reason="only 3 pairable items (minimum 20)", alerts=[]
    )
    d["drift"] = []
    text = _texts(digest_blocks(d))
    assert "n/a (only 3 pairable items" in text and "No drift alerts" in text


def test_render_blocks_is_json(digest) -> None:  # type: ignore[no-untyped-def]
    out = json.loads(render(digest, "blocks"))
    assert out["blocks"][0]["type"] == "header"
    assert json.loads(render(digest, "json"))["project"] == digest["project"]
