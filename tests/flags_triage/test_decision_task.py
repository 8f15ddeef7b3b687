"""A decision answers the task the item is labelled in: gold and the adjudicated label land there, not in
`default` (real HTTP app, fake Slack, SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.slack.blocks.flag_case import CASE_ADJUDICATE
from bot.slack.flag_queue.builder import B_OUTCOME, B_TASK
from bot.store.db import session_scope
from bot.store.flags import adjudicated_labels
from bot.store.models.annotations import Gold
from tests.bot.helpers import Bot
from tests.digest_e2e.values_support import ok, write_csv
from tests.flags_slack.conftest import opened_view
from tests.flags_triage.conftest import adjudication, case, click, decision_state, file, wait_until


def _import(db_url: str, tmp_path: Path, rows: list[list[str]]) -> None:
    ok(db_url, "projects", "add", "reviews", "--guideline", "product-sentiment")
    header = ["item_id", "task", "annotator", "label", "created_at"]
    path = write_csv(tmp_path / "a.csv", header, rows)
    ok(db_url, "import", "annotations", str(path), "--project", "reviews")


def _gold(bot: Bot) -> list[tuple[str, str, str]]:
    with session_scope(bot.engine) as session:
        return [tuple(r) for r in session.execute(select(Gold.task, Gold.item, Gold.label))]  # type: ignore[misc]


def _with_task(values: dict[str, Any], task: str) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": task}, "value": task}
    return {**values, B_TASK: {B_TASK: {"type": "static_select", "selected_option": option}}}


def _adjudicate(bot: Bot, case_id: int, values: dict[str, Any]) -> tuple[int, str]:
    status, _, ack = bot.slack.send(adjudication(case_id, values))
    return status, ack


def test_an_item_of_one_task_is_decided_in_that_task_without_asking(
    bot: Bot, db_url: str, tmp_path: Path
) -> None:
    _import(db_url, tmp_path, [["rev-42", "sentiment", "ann-1", "Negative", "2026-11-02T09:00:00+00:00"]])
    case_id = file(bot.engine, "rev-42")
    click(bot, CASE_ADJUDICATE, str(case_id))
    assert B_TASK not in {b.get("block_id") for b in opened_view(bot.fake)["blocks"]}
    assert _adjudicate(bot, case_id, decision_state(gold=True)) == (200, "")
    wait_until(lambda: case(bot.engine, case_id).decision)
    assert case(bot.engine, case_id).decision.task == "sentiment"
    assert _gold(bot) == [("sentiment", "rev-42", "Positive")]


def test_an_item_of_several_tasks_asks_which_and_the_decision_lands_in_it(
    bot: Bot, db_url: str, tmp_path: Path
) -> None:
    at = "2026-11-02T09:00:00+00:00"
    _import(
        db_url,
        tmp_path,
        [["rev-42", "sentiment", "ann-1", "Negative", at], ["rev-42", "sarcasm", "ann-1", "Positive", at]],
    )
    case_id = file(bot.engine, "rev-42")
    click(bot, CASE_ADJUDICATE, str(case_id))
    [task] = [b for b in opened_view(bot.fake)["blocks"] if b.get("block_id") == B_TASK]
    assert [o["value"] for o in task["element"]["options"]] == ["sarcasm", "sentiment"]
    assert task.get("optional") is not True  # Slack asks for a choice before submitting
    # A form opened before the item was in two tasks has no Task field: the lead is told to reopen it.
    status, ack = _adjudicate(bot, case_id, decision_state(gold=True))
    assert status == 200 and "2 tasks" in ack and B_OUTCOME in ack
    # A forged task the item is not in is refused inline.
    status, ack = _adjudicate(bot, case_id, _with_task(decision_state(gold=True), "nope"))
    assert status == 200 and B_TASK in ack and case(bot.engine, case_id).decision is None
    assert _adjudicate(bot, case_id, _with_task(decision_state(gold=True), "sarcasm")) == (200, "")
    wait_until(lambda: case(bot.engine, case_id).decision)
    assert _gold(bot) == [("sarcasm", "rev-42", "Positive")]
    with session_scope(bot.engine) as session:
        [label] = adjudicated_labels(session, "reviews")
    assert (label.task, label.item_id, label.label) == ("sarcasm", "rev-42", "Positive")


def test_an_item_the_store_has_no_labels_of_is_decided_in_the_default_task(bot: Bot) -> None:
    case_id = file(bot.engine, "rev-unknown")
    assert _adjudicate(bot, case_id, decision_state()) == (200, "")
    wait_until(lambda: case(bot.engine, case_id).decision)
    assert case(bot.engine, case_id).decision.task == "default"
