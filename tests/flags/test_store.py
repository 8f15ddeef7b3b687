"""Flag store functions on SQLite and PostgreSQL: filing into cases, replays, triage, adjudication, reads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from bot.errors import ConflictError, InputError, NotFoundError
from bot.store import flags as store
from bot.store.db import make_engine, session_scope
from bot.store.models.annotations import Gold, GoldHistory
from bot.store.models.flags import Flag, FlagCase
from reports.flags.frame import COLUMNS
from reports.flags.input import Decision, OtherLabel
from tests.conftest import row_counts
from tests.flags.conftest import flag_input

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
DECISION = Decision(final_label="Negative", outcome="other_right", note="sarcasm is Negative")


def _file(engine: Engine, **changes: object) -> store.FiledFlag:
    with session_scope(engine) as session:
        return store.file_flag(session, flag_input(**changes))


def test_first_flag_opens_a_case_and_a_second_joins_it(engine: Engine) -> None:
    first = _file(engine, filed_by="U1", idempotency_key="V1:h1")
    second = _file(engine, filed_by="U2", idempotency_key="V2:h2", reason="label_confusion")
    other_item = _file(engine, item_id="item-2", idempotency_key="V3:h3")
    assert (first.joined_existing, first.duplicate) == (False, False)
    assert second.case_id == first.case_id and second.flag_id != first.flag_id
    assert (second.joined_existing, second.duplicate) == (True, False)
    assert other_item.case_id != first.case_id and not other_item.joined_existing
    with session_scope(engine) as session:
        case = store.get_case(session, first.case_id)
    assert (case.project, case.item_id, case.status, case.assignee, case.resolved_at) == (
        "reviews",
        "item-1",
        "open",
        None,
        None,
    )
    assert case.opened_at.tzinfo is not None
    assert [f.filed_by for f in case.flags] == ["U1", "U2"]
    assert [f.reason for f in case.flags] == ["guideline_unclear", "label_confusion"]
    stored = case.flags[0]
    assert stored.other_labels == (
        OtherLabel("Negative", "annotator", "ann-7"),
        OtherLabel("Neutral", "model"),
    )
    assert (stored.guideline, stored.version, stored.anchor, stored.my_label) == (
        "mini",
        "1.0.0",
        "sarcasm",
        "Positive",
    )
    assert case.decision is None and case.events == ()


def test_the_same_view_submission_twice_stores_one_flag(engine: Engine) -> None:
    first = _file(engine, idempotency_key="V9:abc")
    before = row_counts(engine)
    again = _file(engine, idempotency_key="V9:abc", comment="a different body, same view")
    assert again == store.FiledFlag(first.flag_id, first.case_id, joined_existing=False, duplicate=True)
    assert row_counts(engine) == before
    # A replay of a submission that joined a case says so.
    joined = _file(engine, idempotency_key="V10:abc", filed_by="U2")
    assert _file(engine, idempotency_key="V10:abc").joined_existing is True
    assert joined.joined_existing


def test_a_replay_after_the_case_was_resolved_opens_nothing(engine: Engine) -> None:
    first = _file(engine, idempotency_key="V1:h")
    with session_scope(engine) as session:
        store.adjudicate(session, first.case_id, DECISION, "ULEAD")
    before = row_counts(engine)
    again = _file(engine, idempotency_key="V1:h")
    assert again.duplicate and again.case_id == first.case_id
    assert row_counts(engine) == before


def test_slack_markup_in_a_comment_is_stored_verbatim(engine: Engine) -> None:
    text = "<!channel> ping <@U123> &lt;b&gt; & <https://x|y>\n*bold* `code`"
    filed = _file(engine, comment=text, item_id="<@U999> &amp;")
    with session_scope(engine) as session:
        store.comment(session, filed.case_id, "ULEAD", text)
        case = store.get_case(session, filed.case_id)
    assert case.flags[0].comment == text
    assert case.item_id == "<@U999> &amp;"
    assert [(e.kind, e.by, e.text) for e in case.events] == [("comment", "ULEAD", text)]


def test_a_flag_after_resolution_opens_a_new_case(engine: Engine) -> None:
    first = _file(engine)
    with session_scope(engine) as session:
        store.adjudicate(session, first.case_id, DECISION, "ULEAD")
    second = _file(engine)
    assert second.case_id != first.case_id and not second.joined_existing
    with session_scope(engine) as session:
        assert [c.status for c in store.list_cases(session, project="reviews")] == ["resolved", "open"]


def test_invalid_input_is_refused_with_nothing_stored(engine: Engine) -> None:
    before = row_counts(engine)
    for changes, field in [
        ({"item_id": "x" * 201}, "item_id: is longer than 200 characters (201)"),
        ({"my_label": "  "}, "my_label: is required"),
        ({"project": ""}, "project: is required"),
        ({"reason": ""}, "reason: is required"),
        ({"comment": "nul\x00byte"}, "comment: contains the control character U+0000"),
        ({"other_labels": (OtherLabel("Negative", "peer"),)}, "source must be one of annotator, gold, model"),
    ]:
        with pytest.raises(InputError) as err, session_scope(engine) as session:
            store.file_flag(session, flag_input(**changes))
        assert field in err.value.message and "nothing stored" in err.value.message
    assert row_counts(engine) == before


def test_assign_and_unassign_record_events(engine: Engine) -> None:
    filed = _file(engine)
    with session_scope(engine) as session:
        case = store.assign(session, filed.case_id, "ULEAD2", by="ULEAD")
        assert (case.status, case.assignee) == ("assigned", "ULEAD2")
        case = store.assign(session, filed.case_id, None, by="ULEAD")
        assert (case.status, case.assignee) == ("open", None)
    with session_scope(engine) as session:
        store.assign(session, filed.case_id, "ULEAD2", by="ULEAD")
        events = store.get_case(session, filed.case_id).events
    assert [(e.kind, e.by, e.assignee) for e in events] == [
        ("assigned", "ULEAD", "ULEAD2"),
        ("assigned", "ULEAD", None),
        ("assigned", "ULEAD", "ULEAD2"),
    ]
    # An assigned case is still the item's open case: a new flag joins it.
    assert _file(engine, filed_by="U3").case_id == filed.case_id


def test_triage_refusals(engine: Engine) -> None:
    filed = _file(engine)
    with pytest.raises(NotFoundError, match="no flag case 999"), session_scope(engine) as session:
        store.assign(session, 999, "U1", by="ULEAD")
    with pytest.raises(NotFoundError), session_scope(engine) as session:
        store.comment(session, 999, "ULEAD", "hi")
    with pytest.raises(NotFoundError), session_scope(engine) as session:
        store.get_case(session, 999)
    with pytest.raises(InputError, match="comment: is required"), session_scope(engine) as session:
        store.comment(session, filed.case_id, "ULEAD", "   ")
    with session_scope(engine) as session:
        store.adjudicate(session, filed.case_id, DECISION, "ULEAD")
    with pytest.raises(ConflictError, match="is resolved"), session_scope(engine) as session:
        store.assign(session, filed.case_id, "U1", by="ULEAD")
    with session_scope(engine) as session:  # comments on a resolved case are fine
        store.comment(session, filed.case_id, "U100", "thanks")


def test_list_cases_filters(engine: Engine) -> None:
    a = _file(engine, item_id="a", reason="guideline_unclear", anchor="sarcasm")
    b = _file(engine, item_id="b", reason="label_confusion", anchor="emoji")
    c = _file(engine, item_id="c", project="other", guideline="g2", anchor="sarcasm")
    _file(engine, item_id="b", reason="tool_problem", anchor=None)
    with session_scope(engine) as session:
        store.assign(session, b.case_id, "ULEAD", by="ULEAD")
        store.adjudicate(session, c.case_id, DECISION, "ULEAD")

        def ids(**filters: object) -> list[int]:
            return [case.id for case in store.list_cases(session, **filters)]  # type: ignore[arg-type]

        assert ids() == [a.case_id, b.case_id, c.case_id]
        assert ids(project="reviews") == [a.case_id, b.case_id]
        assert ids(status="open") == [a.case_id]
        assert ids(status=("open", "assigned")) == [a.case_id, b.case_id]
        assert ids(status="resolved") == [c.case_id]
        assert ids(reason="tool_problem") == [b.case_id]
        assert ids(section="sarcasm") == [a.case_id, c.case_id]
        assert ids(section="g2#sarcasm") == [c.case_id]
        assert ids(assignee="ULEAD") == [b.case_id]
        assert ids(project="reviews", reason="label_confusion", section="emoji") == [b.case_id]
        assert ids(project="nope") == []
        listed = store.list_cases(session, project="reviews")
        assert [len(case.flags) for case in listed] == [1, 2]
        with pytest.raises(InputError, match="status: unknown 'closed'"):
            store.list_cases(session, status="closed")


def test_adjudicate_resolves_records_and_is_final(engine: Engine) -> None:
    filed = _file(engine)
    decided_at = datetime(2026, 11, 3, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    decision = Decision(
        final_label="Negative",
        outcome="guideline_must_change",
        note="<!here> the rule is unclear",
        section_to_change="sarcasm",
        decided_at=decided_at,
    )
    with session_scope(engine) as session:
        got = store.adjudicate(session, filed.case_id, decision, "ULEAD")
    assert (got.final_label, got.outcome, got.note, got.section_to_change, got.decided_by) == (
        "Negative",
        "guideline_must_change",
        "<!here> the rule is unclear",
        "sarcasm",
        "ULEAD",
    )
    assert got.decided_at == decided_at and got.decided_at.tzinfo is not None
    with session_scope(engine) as session:
        case = store.get_case(session, filed.case_id)
    assert case.status == "resolved" and case.resolved_at == decided_at
    assert case.decision == got
    assert [(e.kind, e.by) for e in case.events] == [("resolved", "ULEAD")]
    before = row_counts(engine)
    with pytest.raises(store.AlreadyAdjudicated) as err, session_scope(engine) as session:
        store.adjudicate(session, filed.case_id, Decision("Positive", "annotator_right"), "ULEAD2")
    assert isinstance(err.value, ConflictError)
    assert "adjudicated already by ULEAD" in err.value.message and "'Negative'" in err.value.message
    assert row_counts(engine) == before
    with pytest.raises(NotFoundError), session_scope(engine) as session:
        store.adjudicate(session, 12345, DECISION, "ULEAD")
    with pytest.raises(InputError, match="outcome: must be one of"), session_scope(engine) as session:
        store.adjudicate(session, filed.case_id, Decision("Negative", "lead_right"), "ULEAD")


def test_add_to_gold_writes_the_final_label_as_gold_with_history(project: str) -> None:
    engine = make_engine(project)
    try:
        with session_scope(engine) as session:
            session.add(Gold(project="reviews", task="default", item="item-1", label="Positive"))
        filed = _file(engine)
        decision = Decision("Negative", "other_right", add_to_gold=True)
        with session_scope(engine) as session:
            store.adjudicate(session, filed.case_id, decision, "ULEAD")
        with session_scope(engine) as session:
            gold = session.execute(select(Gold.task, Gold.item, Gold.label)).all()
            history = session.execute(select(GoldHistory.old_label, GoldHistory.new_label)).all()
        assert [tuple(g) for g in gold] == [("default", "item-1", "Negative")]
        assert [tuple(h) for h in history] == [("Positive", "Negative")]
        # An undeclared project cannot take gold: refused, nothing stored.
        other = _file(engine, project="ghost")
        before = row_counts(engine)
        with pytest.raises(NotFoundError, match="no project 'ghost'"), session_scope(engine) as session:
            store.adjudicate(session, other.case_id, decision, "ULEAD")
        assert row_counts(engine) == before
    finally:
        engine.dispose()


def test_adjudicated_labels_take_each_items_latest_decision(engine: Engine) -> None:
    first = _file(engine, item_id="x")
    with session_scope(engine) as session:
        store.adjudicate(session, first.case_id, Decision("Negative", "other_right", decided_at=T0), "U1")
    second = _file(engine, item_id="x")
    later = T0 + timedelta(days=1)
    with session_scope(engine) as session:
        store.adjudicate(
            session, second.case_id, Decision("Neutral", "both_acceptable", decided_at=later), "U2"
        )
    third = _file(engine, item_id="y", project="other")
    with session_scope(engine) as session:
        store.adjudicate(session, third.case_id, Decision("Positive", "annotator_right", task="tone"), "U1")
        labels = store.adjudicated_labels(session)
        only = store.adjudicated_labels(session, "reviews")
    assert [(a.project, a.task, a.item_id, a.label, a.decided_by) for a in labels] == [
        ("other", "tone", "y", "Positive", "U1"),
        ("reviews", "default", "x", "Neutral", "U2"),
    ]
    assert only == labels[1:] and only[0].decided_at == later and only[0].case_id == second.case_id


def test_flags_frame_columns_types_and_window(engine: Engine) -> None:
    a = _file(engine, item_id="a", filed_at=T0)
    _file(engine, item_id="a", filed_at=T0 + timedelta(hours=1), filed_by="U2", anchor=None)
    _file(engine, item_id="b", filed_at=T0 + timedelta(days=3))
    _file(engine, item_id="c", project="other", filed_at=T0)
    resolved = T0 + timedelta(hours=5)
    with session_scope(engine) as session:
        store.adjudicate(session, a.case_id, Decision("Negative", "other_right", decided_at=resolved), "UL")
        frame = store.flags_frame(session, "reviews", T0, T0 + timedelta(days=1))
        everything = store.flags_frame(session, "reviews", None, None)
        empty = store.flags_frame(session, "nobody", T0, T0 + timedelta(days=1))
    assert list(frame.columns) == list(COLUMNS)
    assert list(frame.columns) == [
        "flag_id",
        "case_id",
        "project",
        "item_id",
        "reason",
        "slug",
        "version",
        "anchor",
        "filed_by",
        "filed_at",
        "case_status",
        "resolved_at",
        "outcome",
    ]
    assert len(frame) == 2 and len(everything) == 3
    assert str(frame["filed_at"].dtype) == "datetime64[ns, UTC]"
    assert str(everything["resolved_at"].dtype) == "datetime64[ns, UTC]"
    assert frame["filed_at"].tolist() == [pd.Timestamp(T0), pd.Timestamp(T0 + timedelta(hours=1))]
    assert frame["resolved_at"].tolist() == [pd.Timestamp(resolved)] * 2
    assert frame["outcome"].tolist() == ["other_right", "other_right"]
    assert frame["anchor"].tolist() == ["sarcasm", None]
    assert frame["case_status"].tolist() == ["resolved", "resolved"]
    assert frame[["slug", "version", "reason"]].iloc[0].tolist() == ["mini", "1.0.0", "guideline_unclear"]
    last = everything.iloc[-1]
    assert last["case_status"] == "open" and pd.isna(last["resolved_at"]) and last["outcome"] is None
    assert list(empty.columns) == list(COLUMNS) and empty.empty
    assert str(empty["filed_at"].dtype) == "datetime64[ns, UTC]"


def test_database_keeps_one_open_case_per_item(engine: Engine) -> None:
    """The partial unique index itself refuses a second open case (whatever the code does)."""
    from sqlalchemy.exc import IntegrityError

    _file(engine)
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(FlagCase(project="reviews", item_id="item-1", status="assigned"))
        session.flush()
    with session_scope(engine) as session:  # a resolved one beside it is fine
        session.add(FlagCase(project="reviews", item_id="item-1", status="resolved"))
    with session_scope(engine) as session:
        assert session.scalar(select(Flag.id).limit(1)) is not None


def test_concurrent_flags_on_sqlite_also_make_one_case(tmp_path: Path) -> None:
    """SQLite has one writer at a time: twenty threads still end as one case with twenty flags."""
    eng = make_engine(f"sqlite:///{tmp_path / 'race.db'}")
    barrier = threading.Barrier(20, timeout=30)

    def file(i: int) -> store.FiledFlag:
        barrier.wait()
        with session_scope(eng) as session:
            return store.file_flag(session, flag_input(filed_by=f"U{i}", idempotency_key=f"V{i}:h"))

    try:
        with ThreadPoolExecutor(20) as pool:
            filed = list(pool.map(file, range(20)))
        assert len({f.case_id for f in filed}) == 1 and len({f.flag_id for f in filed}) == 20
        with session_scope(eng) as session:
            [case] = store.list_cases(session)
        assert len(case.flags) == 20
    finally:
        eng.dispose()
