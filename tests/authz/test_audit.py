"""The audit trail on SQLite and PostgreSQL: recorded by `authorize`, listed newest first, filtered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.authz.guard import Authorizer, authorize, require
from bot.authz.roles import Action
from bot.config import ProjectConfig
from bot.errors import DeniedError
from bot.store.audit import list_events, record
from bot.store.db import session_scope
from bot.store.models.audit import DETAIL_MAX
from tests.support.guidelines import run_cli

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
AUTHZ = Authorizer([ProjectConfig("p", "g", leads=("ULEAD",), managers=("UBOSS",)), ProjectConfig("q", "g")])


def _record(engine: Engine, user: str, project: str, allowed: bool, minutes: int, detail: str = "") -> None:
    with session_scope(engine) as session:
        record(
            session,
            user_id=user,
            action="flag.adjudicate",
            project=project,
            allowed=allowed,
            role_needed="lead",
            role_had="lead" if allowed else "annotator",
            detail=detail,
            at=T0 + timedelta(minutes=minutes),
        )


def test_authorize_audits_denials_and_privileged_actions_only(engine: Engine) -> None:
    assert not authorize(engine, AUTHZ, "UANN", Action.FLAG_ADJUDICATE, "p", "case 7").allowed
    assert authorize(engine, AUTHZ, "ULEAD", Action.FLAG_ADJUDICATE, "p", "case 7").allowed
    assert authorize(engine, AUTHZ, "UANN", Action.FLAG_FILE, "p").allowed  # everyone's: not audited
    assert not authorize(engine, AUTHZ, "ULEAD", Action.GUIDELINE_PUBLISH, "p").allowed
    with session_scope(engine) as session:
        events = list_events(session)
    assert [(e.user_id, e.action, e.allowed, e.role_needed, e.role_had, e.detail) for e in events] == [
        ("ULEAD", "guideline.publish", False, "manager", "lead", ""),
        ("ULEAD", "flag.adjudicate", True, "lead", "lead", "case 7"),
        ("UANN", "flag.adjudicate", False, "lead", "annotator", "case 7"),
    ]
    assert all(e.project == "p" and e.at.tzinfo is UTC for e in events)
    assert abs(events[0].at - datetime.now(UTC)) < timedelta(minutes=5)


def test_a_denial_stays_on_record_when_the_caller_fails_afterwards(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine):
        decision = authorize(engine, AUTHZ, "UANN", Action.GOLD_ADD, "p")
        raise RuntimeError(f"the edge gives up after {decision}")
    with session_scope(engine) as session:
        [event] = list_events(session)
    assert (event.action, event.allowed) == ("gold.add", False)


def test_require_raises_a_denial_naming_the_role_after_auditing_it(engine: Engine) -> None:
    assert require(engine, AUTHZ, "UBOSS", Action.FLAG_TRIAGE, "p", "assign case 3").allowed
    with pytest.raises(DeniedError) as exc:
        require(engine, AUTHZ, "UANN", Action.FLAG_TRIAGE, "p", "assign case 3")
    assert (
        exc.value.message == "Only a lead or a manager of project p may triage flags; you are an annotator."
    )
    assert exc.value.exit_code == 2
    with session_scope(engine) as session:
        assert [(e.user_id, e.allowed) for e in list_events(session)] == [("UANN", False), ("UBOSS", True)]


def test_list_filters_and_orders_newest_first(engine: Engine) -> None:
    _record(engine, "U1", "p", True, 0)
    _record(engine, "U2", "p", False, 2)
    _record(engine, "U1", "q", False, 1)
    _record(engine, "U1", "p", False, 3)
    with session_scope(engine) as session:

        def keys(**filters: object) -> list[tuple[str, str, int]]:
            return [
                (e.user_id, e.project, int((e.at - T0).total_seconds() // 60))
                for e in list_events(session, **filters)  # type: ignore[arg-type]
            ]

        assert keys() == [("U1", "p", 3), ("U2", "p", 2), ("U1", "q", 1), ("U1", "p", 0)]
        assert keys(project="p") == [("U1", "p", 3), ("U2", "p", 2), ("U1", "p", 0)]
        assert keys(user_id="U1") == [("U1", "p", 3), ("U1", "q", 1), ("U1", "p", 0)]
        assert keys(allowed=False) == [("U1", "p", 3), ("U2", "p", 2), ("U1", "q", 1)]
        assert keys(allowed=True) == [("U1", "p", 0)]
        assert keys(project="p", user_id="U1", allowed=False) == [("U1", "p", 3)]
        assert keys(limit=2) == [("U1", "p", 3), ("U2", "p", 2)]
        assert keys(project="nope") == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user=st.text(max_size=300), project=st.text(max_size=300), detail=st.text(max_size=700))
def test_any_text_is_stored_cut_to_its_column(engine: Engine, user: str, project: str, detail: str) -> None:
    with session_scope(engine) as session:
        entry = record(
            session,
            user_id=user,
            action="flag.triage",
            project=project,
            allowed=False,
            role_needed="lead",
            role_had="annotator",
            detail=detail,
        )
    with session_scope(engine) as session:
        stored = next(e for e in list_events(session, limit=1000) if e.id == entry.id)
    assert stored == entry
    clean = detail.replace("\x00", "\ufffd")
    assert len(stored.detail) <= DETAIL_MAX
    assert stored.detail == (clean if len(clean) <= DETAIL_MAX else clean[: DETAIL_MAX - 1] + "…")
    assert stored.user_id.startswith(user.replace("\x00", "\ufffd")[:254])


def test_cli_lists_as_text_and_json(db_url: str, engine: Engine) -> None:
    _record(engine, "U1", "p", True, 0, detail="case 1")
    _record(engine, "U2", "p", False, 1, detail="line\nbreak \x1b[31m")
    out = run_cli(db_url, "audit", "list")
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert len(lines) == 2
    assert lines[0].split("\t") == [
        "2026-12-01T09:01:00+00:00",
        "U2",
        "flag.adjudicate",
        "p",
        "denied",
        "needs lead, was annotator",
        "line\\nbreak \\x1b[31m",  # one line each, control characters shown as escapes
    ]
    denied = json.loads(run_cli(db_url, "audit", "list", "--denied", "--json").output)
    assert [(e["user_id"], e["allowed"], e["at"]) for e in denied] == [
        ("U2", False, "2026-12-01T09:01:00+00:00")
    ]
    mine = json.loads(run_cli(db_url, "audit", "list", "--user", "U1", "--project", "p", "--json").output)
    assert [(e["user_id"], e["detail"], e["role_had"]) for e in mine] == [("U1", "case 1", "lead")]
    assert run_cli(db_url, "audit", "list", "--project", "none").output == ""
    assert run_cli(db_url, "audit", "list", "--limit", "0").exit_code == 2
