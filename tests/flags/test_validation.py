"""validate_flag_input / validate_decision (pure), and arbitrary text through file_flag on both backends."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.errors import InputError
from bot.store import flags as store
from bot.store.db import session_scope
from reports.flags.input import (
    MAX_ITEM_ID,
    Decision,
    OtherLabel,
    validate_decision,
    validate_flag_input,
)
from tests.conftest import row_counts
from tests.flags.conftest import BASE, flag_input

LABELS = ("Positive", "Negative", "Neutral")


def test_a_valid_flag_has_no_errors() -> None:
    assert validate_flag_input(BASE) == {}
    assert validate_flag_input(BASE, projects={"reviews"}, labels=LABELS, reasons={"guideline_unclear"}) == {}


def test_each_problem_is_named_by_its_field() -> None:
    bad = flag_input(
        project="ghost",
        item_id="x" * (MAX_ITEM_ID + 1),
        filed_by="",
        my_label="Sarcastic",
        other_labels=(OtherLabel("Negative", "annotator"), OtherLabel("Maybe", "gold")),
        reason="bad_vibes",
        guideline=" ",
        version="",
        anchor="two\nlines",
        comment="x" * 3001,
        filed_at=datetime(2026, 1, 1),  # naive
    )
    errors = validate_flag_input(bad, projects={"reviews"}, labels=LABELS, reasons={"guideline_unclear"})
    assert errors == {
        "project": "unknown project 'ghost'",
        "item_id": "is longer than 200 characters (201)",
        "filed_by": "is required",
        "my_label": "'Sarcastic' is not a label of the guideline",
        "other_labels": "other label 2: 'Maybe' is not a label of the guideline",
        "reason": "unknown reason 'bad_vibes'",
        "guideline": "is required",
        "version": "is required",
        "anchor": "must be one line (a line break at position 4)",
        "comment": "is longer than 3000 characters (3001)",
        "filed_at": "must carry a time zone",
    }


def test_item_id_of_exactly_200_characters_is_fine_and_optional_fields_may_be_empty() -> None:
    ok = flag_input(item_id="x" * MAX_ITEM_ID, anchor=None, comment="", other_labels=())
    assert validate_flag_input(ok) == {}
    assert validate_flag_input(flag_input(other_labels=(OtherLabel("", "model"),))) == {
        "other_labels": "other label 1 is empty"
    }
    assert validate_flag_input(flag_input(other_labels=(OtherLabel("Negative", "peer"),))) == {
        "other_labels": "other label 1: source must be one of annotator, gold, model (got 'peer')"
    }
    assert validate_flag_input(flag_input(comment="a\nb\r\n\tc")) == {}
    assert validate_flag_input(flag_input(item_id="a\x1bb")) == {
        "item_id": "contains the control character U+001B at position 2"
    }
    assert validate_flag_input(flag_input(comment="\ud800")) == {
        "comment": "contains an unencodable character at position 1"
    }


def test_decisions_are_validated() -> None:
    assert validate_decision(Decision("Negative", "other_right"), labels=LABELS) == {}
    assert validate_decision(Decision("", "nope", task="", decided_at=datetime(2026, 1, 1))) == {
        "final_label": "is required",
        "outcome": "must be one of annotator_right, other_right, both_acceptable, guideline_must_change",
        "task": "is required",
        "decided_at": "must carry a time zone",
    }
    assert validate_decision(Decision("Maybe", "other_right"), labels=LABELS) == {
        "final_label": "'Maybe' is not a label of the guideline"
    }


_KEYS = itertools.count()
_TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["<!channel>", "<@U123>", "&lt;", "&amp;gt;", "'; DROP TABLE flags; --", "\u2028", "\x00", " ", "x" * 201]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    item_id=_TEXT,
    comment=_TEXT | st.text(max_size=300),
    my_label=_TEXT,
    other=_TEXT,
    who=st.none() | _TEXT,
)
def test_arbitrary_text_is_stored_verbatim_or_refused_clearly(
    engine: Engine, item_id: str, comment: str, my_label: str, other: str, who: str | None
) -> None:
    flag = flag_input(
        item_id=item_id,
        comment=comment,
        my_label=my_label,
        other_labels=(OtherLabel(other, "annotator", who),),
        idempotency_key=f"V{next(_KEYS)}:h",
    )
    problems = validate_flag_input(flag)
    if problems:
        before = row_counts(engine)
        with pytest.raises(InputError) as err, session_scope(engine) as session:
            store.file_flag(session, flag)
        assert all(f"{name}: {why}" in err.value.message for name, why in problems.items())
        assert row_counts(engine) == before
        return
    with session_scope(engine) as session:
        filed = store.file_flag(session, flag)
    with session_scope(engine) as session:
        case = store.get_case(session, filed.case_id)
    stored = next(f for f in case.flags if f.id == filed.flag_id)
    assert (case.item_id, stored.item_id, stored.comment, stored.my_label) == (
        item_id,
        item_id,
        comment,
        my_label,
    )
    assert stored.other_labels == (OtherLabel(other, "annotator", who),)
