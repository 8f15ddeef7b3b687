"""Nothing a user or a guideline writes can ping anyone: `<!channel>`, `<!here>`, `<@U…>` are escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.slack.blocks.section_link import GUIDE_SHARE_SECTION, GUIDE_SHOW_SECTION
from tests.bot.helpers import Bot, buttons, publish_folder
from tests.support.guidelines import write_guideline

PINGY = """# Broadcasts {#broadcasts}

Aliases: <!channel> & <@U998>, a <b>tag</b>

Never write <!here> or <!channel> in a label note, and do not ping <@U999> either.
"""
PINGY_TOML = """slug = "pingy"
title = "Pingy <!everyone> guide"
version = "1.0.0"
labels = ["A", "B"]
scale = "nominal"
"""
SHARER = "U222"


def _all_payloads(bot: Bot) -> str:
    calls = [*bot.fake.responses(), *bot.fake.calls("chat.postMessage")]
    return "\n".join(json.dumps(c.params, ensure_ascii=False) for c in calls)


def test_query_and_document_mentions_are_escaped(bot: Bot, tmp_path: Path) -> None:
    publish_folder(bot.engine, write_guideline(tmp_path, "pingy", {"rules.md": PINGY}, PINGY_TOML))

    # Typed `<!channel>` arrives escaped (Slack's client does it) and is echoed as text.
    bot.slack.command("/guide", "&lt;!channel&gt; test", response_url=bot.fake.response_url("q"))
    [query] = bot.fake.wait_for_response("q")
    assert "&lt;!channel&gt; test" in json.dumps(query.params, ensure_ascii=False)
    # Real markup (an @channel picked in the composer) is no query word, and is not echoed.
    bot.slack.command("/guide", "<!channel> test", response_url=bot.fake.response_url("q2"))
    [markup] = bot.fake.wait_for_response("q2")
    assert "!channel" not in json.dumps(markup.params["blocks"], ensure_ascii=False)

    bot.slack.command("/guide", "broadcasts label note", response_url=bot.fake.response_url("doc"))
    [doc] = bot.fake.wait_for_response("doc")
    ref = next(v for v in buttons(doc.params["blocks"], GUIDE_SHOW_SECTION) if '"pingy"' in v)
    bot.slack.action(GUIDE_SHOW_SECTION, ref, response_url=bot.fake.response_url("show"))
    [show] = bot.fake.wait_for_response("show")
    bot.slack.action(GUIDE_SHARE_SECTION, ref, user_id=SHARER)
    bot.fake.wait_for("chat.postMessage")

    everything = _all_payloads(bot)
    assert "&lt;!here&gt;" in json.dumps(show.params, ensure_ascii=False)
    for raw in ("<!channel>", "<!here>", "<!everyone>"):
        assert raw not in everything
    # The only mention is the deliberate "Shared by <@U222>".
    assert set(re.findall(r"<@U[A-Z0-9]*", everything)) == {f"<@{SHARER}"}
    assert "&lt;@U999&gt;" in everything
    # Aliases too, in the answer ("also called") and in the shown section.
    assert "also called: &lt;!channel&gt; &amp; &lt;@U998&gt;, a &lt;b&gt;tag&lt;/b&gt;" in json.dumps(
        doc.params, ensure_ascii=False
    )
    assert "also called: &lt;!channel&gt;" in json.dumps(show.params, ensure_ascii=False)
