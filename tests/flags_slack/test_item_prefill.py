"""What the store knows of an item fills the modal: its text, its labels, the conflicting labels.

The items are imported for real (`annobot import annotations` / `import gold` with `text` and `url`
columns), so the modal reads them through bot/store/items.py as in production.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.slack.flags.builder import B_ANNOTATOR, B_GOLD, B_ITEM, B_MY_LABEL, B_PROJECT
from bot.slack.flags.listeners import SHORTCUT
from tests.bot.helpers import Bot, texts
from tests.digest_e2e.values_support import ok, write_csv
from tests.flags_slack.conftest import CONTRACTS, REVIEWS, block, opened_view
from tests.support.blockkit import assert_no_injection
from tests.support.slackreq import USER_ID

AT = "2026-11-02T09:00:00+00:00"


@pytest.fixture(autouse=True)
def items(db_url: str, tmp_path: Path, make_bot: Any) -> None:
    """rev-42 (text, URL, three annotators, gold Mixed) and 981 in `reviews`; c-7 (gold PARTY) in `contracts`."""
    # make_bot published the examples; the projects' store rows come from `projects add`, as for a user.
    ok(db_url, "projects", "add", "reviews", "--guideline", "product-sentiment")
    ok(db_url, "projects", "add", "contracts", "--guideline", "contract-ner")
    header = ["item_id", "annotator", "label", "created_at", "text", "url"]
    text, url = "Great phone <!channel>, battery & screen", "https://ls.test/projects/3/data?task=42"
    rows = [
        ["rev-42", USER_ID, "Negative", AT, text, url],
        ["rev-42", "ann-2", "Positive", AT, text, url],
        ["rev-42", "ann-3", "Negative", AT, text, url],
        ["981", "ann-2", "Neutral", AT, "task from Label Studio", ""],
    ]
    ok(
        db_url,
        "import",
        "annotations",
        str(write_csv(tmp_path / "a.csv", header, rows)),
        "--project",
        "reviews",
    )
    gold = write_csv(tmp_path / "g.csv", ["item_id", "label"], [["rev-42", "Mixed"]])
    ok(db_url, "import", "gold", str(gold), "--project", "reviews")
    gold = write_csv(tmp_path / "c.csv", ["item_id", "label", "text"], [["c-7", "PARTY", "a contract"]])
    ok(db_url, "import", "gold", str(gold), "--project", "contracts")


def _message(text: str) -> dict[str, Any]:
    return {"type": "message", "user": "U222", "ts": "1700000000.000900", "text": text}


def test_a_known_item_shows_its_text_and_prefills_the_conflict(bot: Bot) -> None:
    bot.slack.command("/flag", "rev-42")
    view = opened_view(bot.fake)
    shown = texts(view["blocks"])
    assert "Great phone &lt;!channel&gt;, battery &amp; screen" in shown
    assert "ann-2: *Positive*" in shown and "gold: *Mixed*" in shown
    assert_no_injection(view["blocks"])
    assert block(view, B_MY_LABEL)["element"]["initial_option"]["value"] == "Negative"
    others = [o["value"] for o in block(view, B_ANNOTATOR)["element"]["initial_options"]]
    assert others == ["Positive"]  # the filer's own label is not "another" label
    assert block(view, B_GOLD)["element"]["initial_option"]["value"] == "Mixed"


def test_a_message_naming_a_known_item_prefills_it(bot: Bot) -> None:
    bot.slack.shortcut(SHORTCUT, message=_message("what about rev-42? I said Negative"))
    assert block(opened_view(bot.fake), B_ITEM)["element"]["initial_value"] == "rev-42"


def test_a_label_studio_task_link_names_its_task(bot: Bot) -> None:
    text = "odd one: <https://ls.test/projects/3/data?task=981|this task>"
    bot.slack.shortcut(SHORTCUT, message=_message(text))
    assert block(opened_view(bot.fake), B_ITEM)["element"]["initial_value"] == "981"


def test_unknown_words_name_no_item(bot: Bot) -> None:
    bot.slack.shortcut(SHORTCUT, message=_message("is this negative or mixed?"))
    assert "initial_value" not in block(opened_view(bot.fake), B_ITEM)["element"]


def test_the_project_that_knows_the_item_is_chosen(make_bot: Any) -> None:
    bot = make_bot(REVIEWS, CONTRACTS)
    bot.slack.shortcut(SHORTCUT, message=_message("c-7 looks wrong"), channel_id="C999")
    view = opened_view(bot.fake)
    assert block(view, B_ITEM)["element"]["initial_value"] == "c-7"
    assert block(view, B_PROJECT)["element"]["initial_option"]["value"] == "contracts"
    assert block(view, B_GOLD)["element"]["initial_option"]["value"] == "PARTY"
