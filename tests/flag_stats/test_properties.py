"""Property: whatever flags the store holds, `annobot digest` exits 0 with valid JSON whose `flags`
counts add up, and `/flag stats` answers within Block Kit limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete

from bot.jobs.flag_stats import stats_answer
from bot.store import flags as store
from bot.store.db import session_scope
from bot.store.models.flags import Flag, FlagCase, FlagDecision, FlagEvent
from reports.flags.frame import DEFAULT_WEIGHTS
from reports.flags.input import OUTCOMES, Decision
from tests.digest_e2e.values_support import ok
from tests.flag_stats.support import flag
from tests.support.blockkit import assert_no_injection, validate_message

NOW = datetime.now(UTC).replace(microsecond=0)
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=30)
one_flag = st.fixed_dictionaries(
    {
        "item": st.sampled_from(["a", "b", "c", "<!channel>&"]),
        "reason": st.one_of(
            st.sampled_from(sorted(DEFAULT_WEIGHTS)), st.from_regex(r"[a-z]{1,8}", fullmatch=True)
        ),
        "anchor": st.one_of(st.none(), st.sampled_from(["sarcasm", "emoji", "nowhere"]), text),
        "version": st.sampled_from(["1.0.0", "1.1.0", "0.9.0-rc.1", "not-semver"]),
        "minutes": st.integers(-60 * 24 * 40, 60 * 24),  # up to 40 days back, one day ahead (clock skew)
        # Resolve the case after this flag, so many minutes from its filing (negative: skew).
        "resolve": st.one_of(st.none(), st.integers(-120, 60 * 24 * 10)),
        "outcome": st.sampled_from(OUTCOMES),
    }
)


def _store(engine: Engine, flags: list[dict]) -> tuple[int, int, int]:  # type: ignore[type-arg]
    """File and resolve; (flags, open cases, resolved cases) as the store holds them."""
    with session_scope(engine) as session:
        for model in (FlagDecision, FlagEvent, Flag, FlagCase):
            session.execute(delete(model))
    for f in flags:
        at = NOW + timedelta(minutes=f["minutes"])
        with session_scope(engine) as session:
            filed = store.file_flag(
                session,
                flag(
                    item_id=f["item"],
                    reason=f["reason"],
                    anchor=f["anchor"],
                    version=f["version"],
                    filed_at=at,
                ),
            )
            if f["resolve"] is not None:
                decided = min(at + timedelta(minutes=f["resolve"]), NOW)
                store.adjudicate(
                    session, filed.case_id, Decision("Negative", f["outcome"], decided_at=decided), "UL"
                )
    with session_scope(engine) as session:
        cases = store.list_cases(session, project="reviews")
    resolved = sum(c.status == "resolved" for c in cases)
    return sum(len(c.flags) for c in cases), len(cases) - resolved, resolved


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flags=st.lists(one_flag, min_size=0, max_size=12))
def test_any_flags_give_a_digest_whose_counts_add_up(
    flags: list[dict],  # type: ignore[type-arg]
    sqlite_project: tuple[str, Engine],
) -> None:
    db_url, engine = sqlite_project
    total, open_cases, resolved = _store(engine, flags)
    d = json.loads(ok(db_url, "digest", "--project", "reviews", "--all", "--format", "json"))
    f = d["flags"]
    if total == 0:
        assert f is None and d["section_reasons"]["flags"] == "project 'reviews' has no flags"
        return
    # --all: every flag and every resolution is in the window.
    assert (f["filed"], f["open_cases"], f["resolved"]) == (total, open_cases, resolved)
    assert sum(r["flags"] for r in f["reasons"]) == f["filed"]
    loose = f["no_section"]["flags"] if f["no_section"] else 0
    assert sum(s["flags"] for s in f["hot_spots"]) + f["other_sections"]["flags"] + loose == f["filed"]
    assert len(f["hot_spots"]) <= 5
    for s in f["hot_spots"]:
        assert 0 <= s["open_cases"] <= s["cases"] <= s["flags"] and s["score"] >= 0
        assert (s["link"] is None) == (s["title"] is None)
    assert (f["oldest_open"] is None) == (open_cases == 0)
    assert (f["median_seconds_to_resolution"] is None) == (resolved == 0)
    answer = stats_answer(engine, "reviews", NOW + timedelta(days=2), weights=None)
    for page in answer.pages:
        validate_message(page)
        assert_no_injection(page)
