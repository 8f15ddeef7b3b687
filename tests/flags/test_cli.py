"""`annobot flags list` and `annobot flags export`, and the export read back by `annobot import`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.store import flags as store
from bot.store.db import make_engine, session_scope
from bot.store.models.annotations import Annotation, Gold
from reports.flags.input import Decision
from tests.flags.conftest import flag_input
from tests.support.guidelines import run_cli

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def engine_p(project: str) -> Iterator[Engine]:
    """An engine on the database with project 'reviews' (guideline mini)."""
    eng = make_engine(project)
    yield eng
    eng.dispose()


def _decide(engine: Engine, item_id: str, label: str, at: datetime, **changes: object) -> int:
    with session_scope(engine) as session:
        case_id = store.file_flag(session, flag_input(item_id=item_id, **changes)).case_id
        store.adjudicate(session, case_id, Decision(label, "other_right", decided_at=at), "ULEAD")
    return case_id


def test_list_prints_one_line_per_case_and_json_with_everything(project: str, engine_p: Engine) -> None:
    text = "<!channel> look <@U123> &lt; here"
    with session_scope(engine_p) as session:
        open_id = store.file_flag(session, flag_input(item_id="a", comment=text)).case_id
        store.comment(session, open_id, "ULEAD", text)
    done_id = _decide(engine_p, "b", "Negative", T0)
    result = run_cli(project, "flags", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"#{open_id}  reviews  item a  open  1 flag  opened ")
    assert "reasons: guideline_unclear  sections: mini@1.0.0#sarcasm" in lines[0]
    assert lines[1].endswith("decided: Negative (other_right) by ULEAD")
    only_open = run_cli(project, "flags", "list", "--status", "open", "--project", "reviews")
    assert only_open.output.splitlines() == lines[:1]
    assert run_cli(project, "flags", "list", "--project", "none").output == "no flag cases\n"
    data = json.loads(run_cli(project, "flags", "list", "--json").output)
    assert [c["id"] for c in data] == [open_id, done_id]
    assert data[0]["flags"][0]["comment"] == text
    assert data[0]["events"][0]["text"] == text
    assert data[0]["flags"][0]["other_labels"][0] == {
        "label": "Negative",
        "source": "annotator",
        "who": "ann-7",
    }
    assert data[0]["decision"] is None
    assert data[1]["decision"]["final_label"] == "Negative"
    assert data[1]["resolved_at"] == T0.isoformat()


def test_bad_options_exit_2_with_a_clear_message(project: str) -> None:
    result = run_cli(project, "flags", "list", "--status", "closed")
    assert result.exit_code == 2 and "'closed' is not one of 'open', 'assigned', 'resolved'" in result.output
    result = run_cli(project, "flags", "export", "--format", "xml")
    assert result.exit_code == 2 and "'xml' is not one of 'csv', 'jsonl'" in result.output
    result = run_cli(project, "flags", "export")
    assert result.exit_code == 2 and "Missing option '--format'" in result.output
    result = run_cli(project, "flags", "export", "--format", "csv", "--project", "ghost")
    assert result.exit_code == 2 and "no project 'ghost'" in result.output
    result = run_cli(project, "flags", "export", "--format", "csv", "--annotator", " ")
    assert result.exit_code == 2 and "--annotator must not be empty" in result.output


def test_export_refuses_a_mix_of_projects_without_project(project: str, engine_p: Engine) -> None:
    _decide(engine_p, "a", "Negative", T0)
    _decide(engine_p, "z", "Positive", T0, project="other")
    result = run_cli(project, "flags", "export", "--format", "csv")
    assert result.exit_code == 2
    assert "adjudicated labels of 2 projects (other, reviews): choose one with --project" in result.output
    ok = run_cli(project, "flags", "export", "--format", "csv", "--project", "other")
    assert ok.exit_code == 0 and ok.output.splitlines()[1].startswith("default,z,adjudicated,Positive,")


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_imports_back_as_the_adjudicated_annotator(
    project: str, engine_p: Engine, tmp_path: Path, fmt: str
) -> None:
    _decide(engine_p, "=cmd|'/c calc'!A1", "Negative", T0)  # a formula-looking id survives the CSV guard
    _decide(engine_p, 'with, "quotes"\nand a line', "Neutral", T0 + timedelta(hours=1))
    _decide(engine_p, "again", "Positive", T0)
    # A second case on the same item later: the latest decision is the item's adjudicated label.
    _decide(engine_p, "again", "Negative", T0 + timedelta(days=1))
    out = tmp_path / f"adj.{fmt}"
    result = run_cli(project, "flags", "export", "--format", fmt, "--project", "reviews", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output == f"exported 3 adjudicated labels to {out}\n"
    imported = run_cli(project, "import", "annotations", str(out), "--project", "reviews")
    assert imported.exit_code == 0, imported.output
    assert "inserted 3" in imported.output
    with session_scope(engine_p) as session:
        rows = session.execute(
            select(Annotation.item, Annotation.annotator, Annotation.label, Annotation.created_at).order_by(
                Annotation.item
            )
        ).all()
    got = {(r.item, r.annotator, r.label) for r in rows}
    assert got == {
        ("=cmd|'/c calc'!A1", "adjudicated", "Negative"),
        ('with, "quotes"\nand a line', "adjudicated", "Neutral"),
        ("again", "adjudicated", "Negative"),
    }
    again = next(r for r in rows if r.item == "again")
    assert again.created_at.replace(tzinfo=UTC) == T0 + timedelta(days=1)
    # Importing the same file again changes nothing.
    assert (
        "inserted 0, replaced 0, unchanged 3"
        in run_cli(project, "import", "annotations", str(out), "--project", "reviews").output
    )


def test_export_gold_imports_back_as_gold_and_annotator_is_chosen(
    project: str, engine_p: Engine, tmp_path: Path
) -> None:
    _decide(engine_p, "g1", "Negative", T0)
    _decide(engine_p, "g2", "Neutral", T0)
    out = tmp_path / "gold.csv"
    result = run_cli(
        project, "flags", "export", "--format", "csv", "--gold", "--project", "reviews", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == "task,item_id,label\ndefault,g1,Negative\ndefault,g2,Neutral\n"
    imported = run_cli(project, "import", "gold", str(out), "--project", "reviews")
    assert imported.exit_code == 0, imported.output
    with session_scope(engine_p) as session:
        gold = session.execute(select(Gold.item, Gold.label).order_by(Gold.item)).all()
    assert [tuple(g) for g in gold] == [("g1", "Negative"), ("g2", "Neutral")]
    stdout = run_cli(project, "flags", "export", "--format", "jsonl", "--annotator", "lead-panel")
    assert stdout.exit_code == 0
    records = [json.loads(line) for line in stdout.output.splitlines()]
    assert [(r["item_id"], r["annotator"], r["label"]) for r in records] == [
        ("g1", "lead-panel", "Negative"),
        ("g2", "lead-panel", "Neutral"),
    ]
    assert records[0]["created_at"] == T0.isoformat()
