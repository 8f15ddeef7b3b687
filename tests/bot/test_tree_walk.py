"""Walking a decision tree over the real HTTP app against the fake Slack (both backends), issue 11 item 3:
`/guide tree`, options, Back, Start over, the leaf, Share result once, pinning, recorded steps."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from bot.server import make_wsgi_app, serve_in_thread
from bot.slack.app import create_app
from bot.slack.blocks.tree_link import TREE_SHARE, TREE_STEP_ACTIONS, parse_walk_ref
from bot.store.db import session_scope
from bot.store.models.tree_walks import TreeStep
from guidelines.parse import load_guideline
from guidelines.trees.model import Leaf, Question
from tests.bot.helpers import SECRET, Bot, TimedClient, bot_config, publish_folder, texts
from tests.support.fakeslack import FakeSlack

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "guidelines"
_n = itertools.count(1)


def _tree(version: str = "1.0.0") -> Any:
    doc = load_guideline(EXAMPLES / "product-sentiment" / f"v{version}")
    return next(t for t in doc.trees if t.id == "sarcasm")


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b.get("type") == "actions" for e in b["elements"]]


def _click(bot: Bot, button: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Click a button of an ephemeral walk message; the new message's blocks."""
    before = len(bot.fake.responses(name))
    status = bot.slack.action(button["action_id"], button["value"], response_url=bot.fake.response_url(name))[
        0
    ]
    assert status == 200
    return bot.fake.wait_for_response(name, count=before + 1)[-1].param_json("blocks")


def _steps(bot: Bot) -> int:
    with session_scope(bot.engine) as s:
        return s.scalar(select(func.count()).select_from(TreeStep)) or 0


def _start(bot: Bot, text: str = "tree product-sentiment/sarcasm") -> tuple[str, list[dict[str, Any]]]:
    name = f"walk{next(_n)}"
    bot.slack.command("/guide", text, response_url=bot.fake.response_url(name))
    [first] = bot.fake.wait_for_response(name)
    return name, first.param_json("blocks")


def test_a_walk_reaches_the_expected_leaf_back_and_start_over_work(bot: Bot) -> None:
    tree = _tree("1.1.0")
    name, blocks = _start(bot)
    assert tree.node(tree.start).text.split()[0] in texts(blocks)
    choices: list[int] = []
    node = tree.node(tree.start)
    while isinstance(node, Question):  # always the first option
        first = next(b for b in _buttons(blocks) if b["action_id"] == "tree_choose_0")
        blocks = _click(bot, first, name)
        choices.append(0)
        node = tree.node(node.options[0].next)
    assert isinstance(node, Leaf)
    shown = texts(blocks)
    assert f"Label: *{node.label}*" in shown and f"#{node.anchor}" in shown
    assert "Path taken" in shown
    assert (
        parse_walk_ref(next(b for b in _buttons(blocks) if b["action_id"] == TREE_SHARE)["value"]).version
        == "1.1.0"
    )

    back = next(b for b in _buttons(blocks) if b["action_id"] == "tree_back")
    previous = tree.follow(tuple(choices[:-1]))[-1]
    assert previous.text.split()[0] in texts(_click(bot, back, name))
    restart = next(b for b in _buttons(blocks) if b["action_id"] == "tree_restart")
    assert tree.node(tree.start).text.split()[0] in texts(_click(bot, restart, name))
    assert _steps(bot) == len(choices) + 1  # start and each choice; Back and Start over add nothing


def _walk_to_leaf(bot: Bot, name: str, blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    while not any(b["action_id"] == TREE_SHARE for b in _buttons(blocks)):
        blocks = _click(bot, next(b for b in _buttons(blocks) if b["action_id"] == "tree_choose_0"), name)
    return blocks


def test_share_result_clicked_twice_posts_once(bot: Bot) -> None:
    name, blocks = _start(bot)
    leaf = _walk_to_leaf(bot, name, blocks)
    share = next(b for b in _buttons(leaf) if b["action_id"] == TREE_SHARE)
    for n in range(2):
        time.sleep(1.1 * n)  # the second click is signed anew, not a replay
        assert bot.slack.action(TREE_SHARE, share["value"], channel_id="CSHARE")[0] == 200
    [post] = bot.fake.wait_for("chat.postMessage")
    time.sleep(0.5)  # a second post would have arrived by now
    assert len(bot.fake.calls("chat.postMessage")) == 1
    assert post.params["channel"] == "CSHARE" and "label" in texts(post.param_json("blocks"))


def test_a_double_click_records_one_step(bot: Bot) -> None:
    name, blocks = _start(bot)
    first = next(b for b in _buttons(blocks) if b["action_id"] == "tree_choose_0")
    _click(bot, first, name)
    time.sleep(1.1)  # a new signature: Slack signs each click anew (same-second twins are replays)
    _click(bot, first, name)
    assert _steps(bot) == 2


@pytest.fixture
def old_bot(engine: Engine, fake: FakeSlack) -> Iterator[Bot]:
    """The HTTP app with only product-sentiment 1.0.0 published."""
    publish_folder(engine, EXAMPLES / "product-sentiment" / "v1.0.0")
    app = create_app(bot_config(fake.url), client=fake.client(), engine=engine)
    server, port = serve_in_thread(make_wsgi_app(app, engine))
    try:
        yield Bot(fake, engine, server, port, TimedClient(f"http://127.0.0.1:{port}/slack/events", SECRET))
    finally:
        server.stop()


def test_a_walk_started_on_1_0_0_finishes_on_1_0_0_after_1_1_0_is_published(old_bot: Bot) -> None:
    bot = old_bot
    name, blocks = _start(bot)  # no pin: 1.0.0 is current
    assert "v1.0.0" in texts(blocks)
    first = next(b for b in _buttons(blocks) if b["action_id"] == "tree_choose_0")
    blocks = _click(bot, first, name)
    publish_folder(bot.engine, EXAMPLES / "product-sentiment" / "v1.1.0")  # mid-walk
    leaf = _walk_to_leaf(bot, name, blocks)
    shown = texts(leaf)
    assert "v1.0.0" in shown and "A newer version, `v1.1.0`, is current: this tree changed in it" in shown
    share = next(b for b in _buttons(leaf) if b["action_id"] == TREE_SHARE)
    assert parse_walk_ref(share["value"]).version == "1.0.0"
    with session_scope(bot.engine) as s:
        assert set(s.scalars(select(TreeStep.version))) == {"1.0.0"}


def test_guide_tree_lists_the_trees(bot: Bot) -> None:
    _, blocks = _start(bot, "tree")
    shown = texts(blocks)
    assert "product-sentiment/sarcasm" in shown and "contract-ner/" in shown


def test_an_unknown_tree_is_explained(bot: Bot) -> None:
    _, blocks = _start(bot, "tree product-sentiment/nope")
    assert "has no tree 'nope'" in texts(blocks) and "product-sentiment/sarcasm" in texts(blocks)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.text(max_size=60)
    | st.from_regex(
        r'\{"t":"product-sentiment/sarcasm","v":"1\.0\.0","w":"[0-9a-f]{8}","p":\[[0-9,-]{0,12}\]\}',
        fullmatch=True,
    ),
    action=st.sampled_from(
        ["tree_start", "tree_choose_0", "tree_choose_7", "tree_back", "tree_restart", TREE_SHARE]
    ),
)
def test_property_any_button_value_gets_a_walk_or_an_explanation(bot: Bot, value: str, action: str) -> None:
    assert TREE_STEP_ACTIONS.match(action) or action == TREE_SHARE
    name = f"prop{next(_n)}"
    before = _steps(bot)
    status = bot.slack.action(
        action, value, response_url=bot.fake.response_url(name), channel_id=f"CP{next(_n)}"
    )[0]
    assert status == 200
    if action == TREE_SHARE:
        return
    [reply] = bot.fake.wait_for_response(name)
    shown = texts(reply.param_json("blocks"))
    assert shown.strip()
    if "no longer points" in shown:
        assert _steps(bot) == before


def test_guide_sarcasm_offers_walk_the_tree_which_starts_a_walk(bot: Bot) -> None:
    _, blocks = _start(bot, "sarcasm")
    walks = [
        b for b in _buttons(blocks) if b["action_id"] == "tree_start" and b["text"]["text"] == "Walk the tree"
    ]
    assert walks, texts(blocks)
    ref = parse_walk_ref(walks[0]["value"])
    assert (ref.slug, ref.version, ref.path) == ("product-sentiment", "1.1.0", ())
    name = f"walkbtn{next(_n)}"
    before = _steps(bot)
    started = _click(bot, walks[0], name)
    tree = _tree("1.1.0") if ref.tree_id == "sarcasm" else None
    if tree is not None:
        assert tree.node(tree.start).text.split()[0] in texts(started)
    assert any(b["action_id"] == "tree_choose_0" for b in _buttons(started))
    assert _steps(bot) == before + 1  # a new walk, its step 0


def test_trees_stats_json_counts_the_recorded_walks(bot: Bot) -> None:
    """Issue 11 item 4 through the real path: walks over HTTP → tree_steps → `annobot trees stats --json`."""
    import json

    from tests.support.guidelines import run_cli

    name, blocks = _start(bot)
    leaf = _walk_to_leaf(bot, name, blocks)
    label = texts(leaf).split("Label: *", 1)[1].split("*", 1)[0]
    _start(bot)  # a second walk, left at its first question (in progress: less than 30 minutes idle)
    db_url = bot.engine.url.render_as_string(hide_password=False)
    out = run_cli(db_url, "trees", "stats", "product-sentiment/sarcasm", "--json")
    assert out.exit_code == 0, out.output
    [figures] = json.loads(out.output)["trees"]
    assert (figures["walks"], figures["completed"], figures["abandoned"], figures["in_progress"]) == (
        2,
        1,
        0,
        1,
    )
    assert figures["completion_rate"] == 1.0  # 1 completed / (1 completed + 0 abandoned)
    assert [(o["label"], o["count"]) for o in figures["outcomes"]] == [(label, 1)]
    assert figures["median_seconds_to_outcome"] >= 0


def test_the_digest_trees_section_counts_the_project_guideline_walks(bot: Bot, tmp_path: Path) -> None:
    """The digest's `trees` section: walks over HTTP → `annobot digest --format json` for a project of that guideline."""
    import json

    from tests.support.guidelines import run_cli

    name, blocks = _start(bot)
    _walk_to_leaf(bot, name, blocks)
    db_url = bot.engine.url.render_as_string(hide_password=False)
    assert run_cli(db_url, "projects", "add", "reviews", "--guideline", "product-sentiment").exit_code == 0
    f = tmp_path / "a.csv"
    f.write_text("item_id,annotator,label\n1,a,Positive\n1,b,Negative\n", encoding="utf-8")
    assert run_cli(db_url, "import", "annotations", str(f), "--project", "reviews").exit_code == 0
    out = run_cli(db_url, "digest", "--project", "reviews", "--all", "--format", "json")
    assert out.exit_code == 0, out.output
    digest = json.loads(out.output)
    assert digest["trees"] is not None and "trees" not in digest["section_reasons"]
    by_tree = {t["tree"]: t for t in digest["trees"]["trees"]}
    assert set(by_tree) == {"product-sentiment/sarcasm", "product-sentiment/mixed-sentiment"}
    assert (
        by_tree["product-sentiment/sarcasm"]["walks"],
        by_tree["product-sentiment/sarcasm"]["completed"],
    ) == (1, 1)
    assert by_tree["product-sentiment/mixed-sentiment"]["walks"] == 0
