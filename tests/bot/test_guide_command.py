"""`/guide` over real HTTP: answers, the two buttons, pinning, diff, help, no match (both backends)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from bot.slack.blocks.section_link import (
    GUIDE_SHARE_SECTION,
    GUIDE_SHOW_SECTION,
    parse_section_ref,
    section_ref,
)
from tests.bot.helpers import EXAMPLES, Bot, buttons, publish_folder, texts
from tests.support.guidelines import write_guideline


def _guide(bot: Bot, text: str, name: str = "r1") -> list[dict]:
    status, _, body = bot.slack.command("/guide", text, response_url=bot.fake.response_url(name))
    assert status == 200
    assert body == ""  # the ack is empty: the answer comes through response_url
    [call] = bot.fake.wait_for_response(name)
    assert call.params["response_type"] == "ephemeral"
    return call.params["blocks"]


def test_guide_sarcasm_then_show_and_share(bot: Bot) -> None:
    blocks = _guide(bot, "sarcasm")
    refs = buttons(blocks, GUIDE_SHOW_SECTION)
    assert parse_section_ref(refs[0]) == ("product-sentiment", "1.1.0", "sarcasm")
    shown = texts(blocks)
    assert "`v1.1.0`" in shown and "`#sarcasm`" in shown

    status, _, _ = bot.slack.action(GUIDE_SHOW_SECTION, refs[0], response_url=bot.fake.response_url("show"))
    assert status == 200
    [show] = bot.fake.wait_for_response("show")
    assert show.params["response_type"] == "ephemeral"
    assert show.params["replace_original"] is False
    body = texts(show.params["blocks"])
    assert "Sarcasm and irony" in body and "`product-sentiment@1.1.0`" in body
    assert "Sarcastic" in body or "sarcas" in body.lower()

    share_ref = buttons(blocks, GUIDE_SHARE_SECTION)[0]
    status, _, _ = bot.slack.action(GUIDE_SHARE_SECTION, share_ref, user_id="U222", channel_id="C999")
    assert status == 200
    [post] = bot.fake.wait_for("chat.postMessage")
    assert post.params["channel"] == "C999"
    shared = texts(post.param_json("blocks"))
    assert "Shared by <@U222>" in shared
    assert "`product-sentiment@1.1.0`" in shared and "Sarcasm and irony" in shared


def test_pinned_version_says_current_is_newer(bot: Bot) -> None:
    blocks = _guide(bot, "sarcasm @1.0.0")
    ref = parse_section_ref(buttons(blocks, GUIDE_SHOW_SECTION)[0])
    assert ref == ("product-sentiment", "1.0.0", "sarcasm")
    shown = texts(blocks)
    assert "pinned to `v1.0.0`" in shown
    assert "current is `v1.1.0`" in shown


def test_diff_lists_exactly_the_expected_anchors(bot: Bot) -> None:
    expected = json.loads((EXAMPLES / "EXPECTED_DIFFS.json").read_text())["product-sentiment"]
    blocks = _guide(bot, "diff product-sentiment 1.0.0 1.1.0")
    found: dict[str, list[str]] = {}
    for kind, anchor in re.findall(r"\*(Added|Removed|Changed|Renamed)\* `#([^`]+)`", texts(blocks)):
        found.setdefault(kind.lower(), []).append(anchor)
    assert {k: sorted(v) for k, v in found.items()} == {k: sorted(v) for k, v in expected.items() if v}


def test_help_and_empty_text_show_usage(bot: Bot) -> None:
    assert "How to use /guide" in texts(_guide(bot, "help", "h1"))
    assert "How to use /guide" in texts(_guide(bot, "", "h2"))


def test_no_match_offers_closest_titles(bot: Bot) -> None:
    blocks = _guide(bot, "sarcsm")
    shown = texts(blocks)
    assert "Nothing in the guidelines matched" in shown
    assert "Closest sections" in shown and "Sarcasm and irony" in shown
    assert buttons(blocks, GUIDE_SHOW_SECTION)


def test_unknown_pinned_version_is_explained(bot: Bot) -> None:
    blocks = _guide(bot, "sarcasm @9.9.9")
    assert "no guideline has a published version 9.9.9" in texts(blocks)


def test_slow_response_url_does_not_delay_the_ack(bot: Bot) -> None:
    # The answer is posted after the ack: a response_url slower than Slack's 3 s budget
    # must not hold the HTTP response (TimedClient asserts < 1 s).
    bot.fake.delay("response", 2.0)
    _guide(bot, "sarcasm")


def test_long_section_is_shown_in_several_messages(bot: Bot, tmp_path: Path) -> None:
    paragraphs = "\n\n".join(f"Paragraph {i}: " + "guidance text " * 60 for i in range(40))
    toml = 'slug = "long"\ntitle = "Long guide"\nversion = "1.0.0"\nlabels = ["A", "B"]\nscale = "nominal"\n'
    rules = f"# Very long rules {{#long-rules}}\n\n{paragraphs}\n\nThe zebracorn ends here.\n"
    publish_folder(bot.engine, write_guideline(tmp_path, "long", {"rules.md": rules}, toml))
    ref = section_ref("long", "1.0.0", "long-rules")
    bot.slack.action(GUIDE_SHOW_SECTION, ref, response_url=bot.fake.response_url("long"))
    bot.fake.wait_for_response("long")
    time.sleep(0.5)  # the later pages follow the first one
    pages = bot.fake.responses("long")
    assert len(pages) >= 2
    assert all(len(p.params["blocks"]) <= 50 for p in pages)
    whole = "\n".join(texts(p.params["blocks"]) for p in pages)
    assert "Paragraph 0:" in whole and "Paragraph 39:" in whole and "zebracorn ends here" in whole


def test_an_alias_answers_with_its_section_and_says_also_called(bot: Bot) -> None:
    blocks = _guide(bot, "snark")
    assert parse_section_ref(buttons(blocks, GUIDE_SHOW_SECTION)[0]) == (
        "product-sentiment",
        "1.1.0",
        "sarcasm",
    )
    assert "also called: snark, sarcastic, ironic, tongue in cheek" in texts(blocks)
    ref = buttons(blocks, GUIDE_SHOW_SECTION)[0]
    bot.slack.action(GUIDE_SHOW_SECTION, ref, response_url=bot.fake.response_url("show"))
    [show] = bot.fake.wait_for_response("show")
    assert "also called: snark, sarcastic, ironic, tongue in cheek" in texts(show.params["blocks"])
    diff = texts(_guide(bot, "diff product-sentiment 1.0.0 1.1.0", "d1"))
    assert "aliases: +snark, +sarcastic, +ironic, +tongue in cheek" in diff
