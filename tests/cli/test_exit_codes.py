"""Exit codes as documented: bad input and an un-migrated database exit 2 with one line, no traceback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from bot.store.db import head_revision, make_engine
from tests.conftest import PG_SERVER, row_counts
from tests.support.guidelines import mini, run_cli


def _one_error_line(output: str) -> str:
    lines = [ln for ln in output.splitlines() if ln.strip()]
    assert "Traceback" not in output, output
    assert len(lines) >= 1, output
    return lines[-1]


@pytest.fixture
def published(db_url: str, tmp_path: Path) -> str:
    assert run_cli(db_url, "guidelines", "publish", str(mini(tmp_path))).exit_code == 0
    return db_url


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--version", "9.9.9"), "no guideline has version 9.9.9 (published: mini 1.0.0)"),
        (("--guideline", "mini", "--version", "9.9.9"), "mini has no version 9.9.9 (published: 1.0.0)"),
        (("--guideline", "nope"), "no guideline 'nope' (known: mini)"),
        (("--guideline", "nope", "--version", "1.0.0"), "no guideline 'nope' (known: mini)"),
    ],
)
def test_search_of_an_unknown_version_or_guideline_exits_2(
    published: str, args: tuple[str, ...], message: str
) -> None:
    result = run_cli(published, "guidelines", "search", "sarcasm", *args)
    assert result.exit_code == 2, result.output
    assert _one_error_line(result.output) == f"Error: {message}"


def test_search_of_a_known_version_still_answers(published: str) -> None:
    for args in ((), ("--version", "1.0.0"), ("--guideline", "mini", "--version", "1.0.0")):
        result = run_cli(published, "guidelines", "search", "sarcasm", "--json", *args)
        assert result.exit_code == 0, result.output
        assert '"anchor": "sarcasm"' in result.output


@pytest.fixture
def empty_pg_url() -> Iterator[str]:
    """A PostgreSQL database that exists but was never migrated (dropped afterwards)."""
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    name = f"annobot_empty_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:  # no server: skip, as conftest.pg_url does
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_SERVER}: {type(exc).__name__}")
    try:
        yield PG_SERVER.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _schema_commands(tmp_path: Path) -> list[tuple[str, ...]]:
    folder = mini(tmp_path)
    data = tmp_path / "a.csv"
    data.write_text("item_id,annotator,label\ni1,a1,Positive\n", encoding="utf-8")
    gold = tmp_path / "g.csv"
    gold.write_text("item_id,label\ni1,Positive\n", encoding="utf-8")
    return [
        ("guidelines", "publish", str(folder)),
        ("guidelines", "search", "sarcasm"),
        ("guidelines", "list"),
        ("guidelines", "show", "mini"),
        ("guidelines", "diff", "mini", "1.0.0", "1.1.0"),
        ("projects", "add", "p", "--guideline", "mini"),
        ("projects", "list"),
        ("annotators", "map", "17", "U123"),
        ("annotators", "list"),
        ("import", "annotations", str(data), "--project", "p"),
        ("import", "gold", str(gold), "--project", "p"),
        ("export", "annotations", "--project", "p", "--format", "csv"),
        ("digest", "--project", "p", "--all", "--format", "json"),
        ("console",),
        ("run", "--port", "0"),
    ]


@pytest.mark.postgres
def test_every_command_on_an_unmigrated_postgresql_exits_2_naming_db_upgrade(
    empty_pg_url: str, tmp_path: Path
) -> None:
    failures = []
    for args in _schema_commands(tmp_path):
        result = run_cli(empty_pg_url, *args)
        line = _one_error_line(result.output)
        if result.exit_code != 2 or "annobot db upgrade" not in line:
            failures.append((args, result.exit_code, line))
    assert not failures, failures
    status = run_cli(empty_pg_url, "db", "status")
    assert status.exit_code == 0 and "run 'annobot db upgrade'" in status.output
    engine = make_engine(empty_pg_url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar()
        assert tables == 0  # nothing created behind the user's back
    finally:
        engine.dispose()
    assert run_cli(empty_pg_url, "db", "upgrade").exit_code == 0
    assert run_cli(empty_pg_url, "guidelines", "list").exit_code == 0


def _bad_input(tmp_path: Path) -> list[tuple[tuple[str, ...], str]]:
    """Every documented command with bad input, and a fragment of the one line it must print."""
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("item_id,annotator,label\ni1,,Positive\n", encoding="utf-8")
    return [
        (("guidelines", "publish", str(tmp_path / "missing")), "does not exist"),
        (
            (
                "guidelines",
                "publish",
                str(mini(tmp_path)),
                str(mini(tmp_path, "1.1.0")),
                "--version",
                "2.0.0",
            ),
            "--version applies to a single folder",
        ),
        (("guidelines", "search", "x", "--version", "9.9.9"), "no guideline has version 9.9.9"),
        (("guidelines", "search", "x", "--limit", "0"), "--limit"),
        (("guidelines", "list", "--bogus"), "No such option"),
        (("guidelines", "show", "nope"), "no guideline 'nope'"),
        (("guidelines", "show", "mini@9.9.9"), "mini has no version 9.9.9"),
        (("guidelines", "show", "mini", "nope"), "no section '#nope'"),
        (("guidelines", "diff", "mini", "1.0.0", "9.9.9"), "mini has no version 9.9.9"),
        (("projects", "add", "p", "--guideline", "nope"), "nope"),
        (("projects", "list", "--bogus"), "No such option"),
        (("annotators", "map", "17", "@"), "not a Slack user"),
        (("annotators", "list", "--bogus"), "No such option"),
        (("import", "annotations", str(tmp_path / "missing.csv"), "--project", "p"), "does not exist"),
        (("import", "annotations", str(bad_csv), "--project", "nope"), "nope"),
        (("import", "gold", str(bad_csv), "--project", "nope"), "nope"),
        (("export", "annotations", "--project", "nope", "--format", "csv"), "nope"),
        (("digest", "--project", "nope", "--all"), "nope"),
        (("digest", "--project", "p", "--window", "7x"), "--window"),
        (("console", "--wait", "0"), "--wait"),
        (("run", "--port", "99999"), "--port"),
        (("db", "revision"), "--message"),
        (("nope",), "No such command"),
    ]


def test_every_documented_command_with_bad_input_exits_2_with_one_line(
    published: str, tmp_path: Path
) -> None:
    engine = make_engine(published)
    try:
        before = row_counts(engine)
        failures = []
        for args, fragment in _bad_input(tmp_path):
            result = run_cli(published, *args)
            line = _one_error_line(result.output)
            if result.exit_code != 2 or fragment not in result.output:
                failures.append((args, result.exit_code, line))
        assert not failures, failures
        assert row_counts(engine) == before
    finally:
        engine.dispose()


def test_a_database_from_a_newer_annobot_exits_2_naming_the_fix(db_url: str, engine: Engine) -> None:
    # alembic_version is not among the models' tables, so the db_url fixture never resets it.
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    try:
        result = run_cli(db_url, "guidelines", "list")
        assert result.exit_code == 2, result.output
        line = _one_error_line(result.output)
        assert "database is at revision 9999, which this annobot does not know" in line
        assert "upgrade annobot" in line
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()})
    assert run_cli(db_url, "guidelines", "list").exit_code == 0


# A real command line cannot carry NUL (argv entries are C strings); lone surrogates stand for
# bytes that are not UTF-8, as Python decodes them.
ARG = st.text(st.characters(codec=None, exclude_characters="\x00"), max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(version=st.one_of(st.just("1.0.0"), ARG), slug=st.one_of(st.none(), st.just("mini"), ARG))
def test_search_with_any_version_or_guideline_answers_or_exits_2(
    published: str, version: str, slug: str | None
) -> None:
    args = ["guidelines", "search", "sarcasm", "--version", version, "--json"]
    if slug is not None:
        args += ["--guideline", slug]
    result = run_cli(published, *args)  # catch_exceptions=False: a traceback fails the test
    known = version == "1.0.0" and slug in (None, "mini")
    if known:
        assert result.exit_code == 0, result.output
        assert '"anchor": "sarcasm"' in result.output
    else:
        assert result.exit_code == 2, result.output
        assert len([ln for ln in result.output.splitlines() if ln.strip()]) == 1, result.output


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    command=st.sampled_from(["show", "show-anchor", "diff"]),
    first=st.one_of(st.just("mini"), st.just("mini@1.0.0"), ARG),
    second=st.one_of(st.just("1.0.0"), st.just("sarcasm"), ARG),
)
def test_show_and_diff_with_any_arguments_answer_or_exit_2(
    published: str, command: str, first: str, second: str
) -> None:
    # After "--" every word is an argument, also one starting with "-" (else click's usage error).
    if command == "show":
        args = ["guidelines", "show", "--json", "--", first]
    elif command == "show-anchor":
        args = ["guidelines", "show", "--json", "--", first, second]
    else:
        args = ["guidelines", "diff", "--json", "--", first, "1.0.0", second]
    result = run_cli(published, *args)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert len([ln for ln in result.output.splitlines() if ln.strip()]) == 1, result.output
        assert "Traceback" not in result.output
