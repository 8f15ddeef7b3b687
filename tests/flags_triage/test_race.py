"""Two leads submit the adjudication of one case at the same moment, over HTTP: one decision, and the
other lead is told who decided (threads released by a barrier; PostgreSQL, and SQLite's one writer)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from bot.store.db import session_scope
from bot.store.models.flags import FlagDecision
from tests.bot.helpers import Bot, texts
from tests.flags_triage.conftest import LEAD, LEAD2, adjudication, case, decision_state, file, wait_until


def _race_once(bot: Bot, n: int) -> str:
    """One race on a new case; how the loser was told ("inline" or "after")."""
    case_id = file(bot.engine, f"rev-race-{n}")
    labels = {LEAD: "Positive", LEAD2: "Neutral"}
    bodies = {
        lead: adjudication(case_id, decision_state(final=label), user=lead, view_id=f"VR{n}{lead}")
        for lead, label in labels.items()
    }
    barrier = threading.Barrier(2, timeout=30)
    told_before = len(bot.fake.calls("chat.postEphemeral"))

    def submit(lead: str) -> tuple[int, str]:
        barrier.wait()
        status, _, ack = bot.slack.send(bodies[lead])
        return status, ack

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(submit, bodies))
    assert all(status == 200 for status, _ in answers)
    decision = wait_until(lambda: case(bot.engine, case_id).decision)
    winner = decision.decided_by
    loser = LEAD2 if winner == LEAD else LEAD
    assert decision.final_label == labels[winner]

    def loser_told() -> list:
        calls = bot.fake.calls("chat.postEphemeral")[told_before:]
        return [
            c for c in calls if c.params.get("user") == loser and "adjudicated already" in texts(c.params)
        ]

    # Told inline when its check ran after the winner's commit, else ephemerally after the ack.
    inline = [ack for _, ack in answers if ack]
    if inline:
        assert len(inline) == 1 and f"adjudicated already by {winner}" in inline[0]
        how = "inline"
    else:
        [message] = wait_until(loser_told)
        assert f"by {winner}" in texts(message.params)
        how = "after"
    time.sleep(0.1)
    with session_scope(bot.engine) as session:
        count = session.scalar(
            select(func.count()).select_from(FlagDecision).where(FlagDecision.case_id == case_id)
        )
    assert count == 1
    return how


def test_two_concurrent_adjudications_leave_one_decision_and_the_loser_is_told(bot: Bot) -> None:
    ways = [_race_once(bot, n) for n in range(3)]
    assert set(ways) <= {"inline", "after"}
