"""Issue 10 items 6 and 7 through the CLI, on both backends: control characters, the CSV field limit,
header checks, gold refusing annotation files, gold history and --dry-run (nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from bot.imports.cells import MAX_FIELD
from bot.store.db import session_scope
from bot.store.models.annotations import Gold, GoldHistory
from tests.conftest import row_counts
from tests.support.guidelines import run_cli

HEADER = "item_id,annotator,label,task,created_at,duration_s,cohort\n"
ROW = "i{n},a{n},Positive,q,2026-01-01T00:00:00Z,1.5,north\n"


def _import(db: str, path: Path, *extra: str, kind: str = "annotations") -> tuple[int, str]:
    out = run_cli(db, "import", kind, str(path), "--project", "reviews", *extra)
    return out.exit_code, out.output


def _refused(db: str, engine: Engine, path: Path, *expected: str, kind: str = "annotations") -> str:
    """Import `path`: exit 2, the file name and each expected text in the message, nothing written."""
    before = row_counts(engine)
    code, output = _import(db, path, kind=kind)
    assert code == 2, output
    assert str(path) in output, output
    for text in expected:
        assert text in output, output
    assert "Traceback" not in output
    assert row_counts(engine) == before
    return output


# -- item 6: control characters, the same refusal in every format and on both backends ------------


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x0b", "\x1f"])
def test_a_control_character_in_a_csv_field_is_refused_with_line(
    project: str, engine: Engine, tmp_path: Path, char: str
) -> None:
    f = tmp_path / "a.csv"
    f.write_text(HEADER + ROW.format(n=1) + f"i2,ann{char}x,Positive,q,,,\n", encoding="utf-8")
    _refused(project, engine, f, f"line 3: annotator: contains the control character U+{ord(char):04X}")


def test_tab_cr_and_lf_inside_fields_are_kept(project: str, engine: Engine, tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_text(HEADER + '"i\t1","a\r\nb",Positive,q,,,"c\rd"\n', encoding="utf-8", newline="")
    code, output = _import(project, f)
    assert code == 0, output
    out = run_cli(project, "export", "annotations", "--project", "reviews", "--format", "jsonl")
    row = json.loads(out.output)
    assert (row["item_id"], row["annotator"], row["cohort"]) == ("i\t1", "a\r\nb", "c\rd")


def test_a_nul_in_jsonl_and_label_studio_files_is_refused(
    project: str, engine: Engine, tmp_path: Path
) -> None:
    jl = tmp_path / "a.jsonl"
    good = {"item_id": "1", "annotator": "a", "label": "Positive"}
    jl.write_text(
        json.dumps(good) + "\n" + json.dumps({**good, "item_id": "x\x00y"}) + "\n", encoding="utf-8"
    )
    _refused(project, engine, jl, "line 2: item_id: contains the control character U+0000")
    ls = tmp_path / "ls.json"
    task = {
        "id": 7,
        "annotations": [
            {
                "id": 1,
                "completed_by": 3,
                "result": [{"from_name": "s\x00", "value": {"choices": ["Positive"]}}],
            }
        ],
    }
    ls.write_text(json.dumps([task]), encoding="utf-8")
    _refused(
        project, engine, ls, "record 1 (annotation 1), result 1: task: contains the control character U+0000"
    )


def test_a_nul_in_a_gold_file_is_refused(project: str, engine: Engine, tmp_path: Path) -> None:
    f = tmp_path / "g.csv"
    f.write_text("item_id,label\n1,Positive\n2\x00,Negative\n", encoding="utf-8")
    _refused(project, engine, f, "line 3: item_id: contains the control character U+0000", kind="gold")


def test_an_item_longer_than_its_column_is_refused_on_both_backends(
    project: str, engine: Engine, tmp_path: Path
) -> None:
    f = tmp_path / "a.csv"
    f.write_text(HEADER + "x" * 301 + ",a,Positive,q,,,\n", encoding="utf-8")
    _refused(project, engine, f, "line 2: item_id: longer than 300 characters (301)")


_CONTROL = st.characters(min_codepoint=0, max_codepoint=0x1F).filter(lambda c: c not in "\t\n\r")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    before=st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=10),
    char=_CONTROL,
    column=st.sampled_from(["item_id", "annotator", "task", "cohort"]),
    fmt=st.sampled_from(["csv", "jsonl"]),
)
def test_property_any_c0_control_in_any_field_is_refused_through_the_cli(
    project: str, engine: Engine, tmp_path: Path, before: str, char: str, column: str, fmt: str
) -> None:
    row = {"item_id": "i", "annotator": "a", "label": "Positive", "task": "q", "cohort": "c"}
    row[column] = before + char
    if fmt == "csv":
        f = tmp_path / "p.csv"
        cells = [row[c] for c in ("item_id", "annotator", "label", "task", "cohort")]
        line = ",".join('"' + v.replace('"', '""') + '"' for v in cells)
        f.write_text("item_id,annotator,label,task,cohort\n" + line + "\n", encoding="utf-8", newline="")
    else:
        f = tmp_path / "p.jsonl"
        f.write_text(json.dumps(row) + "\n", encoding="utf-8")
    _refused(project, engine, f, f"line 2: {column}: contains the control character U+{ord(char):04X}"
             if fmt == "csv" else f"line 1: {column}: contains the control character")  # fmt: skip


# -- item 7: the CSV field limit and the header ------------------------------------------------------


def test_a_field_over_the_limit_is_refused_with_line(project: str, engine: Engine, tmp_path: Path) -> None:
    f = tmp_path / "big.csv"
    f.write_text(
        HEADER + ROW.format(n=1) + ROW.format(n=2) + f"i3,a,Positive,q,,,{'x' * (MAX_FIELD + 1)}\n",
        encoding="utf-8",
    )
    _refused(project, engine, f, "line 4: a field is longer than 1,048,576 characters")


def test_a_field_at_the_limit_is_read(project: str, engine: Engine, tmp_path: Path) -> None:
    # 1 MiB fits the csv reader (its default limit is 128 KiB) and stops at the cohort width rule.
    f = tmp_path / "big.csv"
    f.write_text(HEADER + f"i3,a,Positive,q,,,{'x' * MAX_FIELD}\n", encoding="utf-8")
    _refused(project, engine, f, "line 2: cohort: longer than 100 characters")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file: expected a header row with the columns item_id, annotator, label (required)"),
        (b"\n\n", "empty file"),
        (
            b"item_id,annotator,label,label\n1,a,Positive,Negative\n",
            "line 1: duplicate column 'label'",
        ),
        (
            b"item_id,annotater,label\n1,a,Positive\n",
            "line 1: unknown column 'annotater' (did you mean 'annotator'?)",
        ),
        (
            b"item_id,annotator,label,cohrot\n1,a,Positive,x\n",
            "line 1: unknown column 'cohrot' (did you mean 'cohort'?)",
        ),
        (
            b"item_id;annotator;label\n1;a;Positive\n",
            "line 1: missing columns item_id, annotator, label (the header is one column: annobot reads"
            " comma-separated files); expected the columns item_id, annotator, label (required)",
        ),
        (b"foo,bar\n1,2\n", "line 1: missing columns item_id, annotator, label; expected the columns"),
    ],
)
def test_bad_headers_are_refused_once_naming_the_expected_columns(
    project: str, engine: Engine, tmp_path: Path, content: bytes, expected: str
) -> None:
    f = tmp_path / "h.csv"
    f.write_bytes(content)
    output = _refused(project, engine, f, expected)
    assert output.count("line") <= 2  # one message, at the header, not one per row


def test_gold_refuses_an_annotations_file(project: str, engine: Engine, tmp_path: Path) -> None:
    f = tmp_path / "ann.csv"
    f.write_text("item_id,annotator,label\n1,a,Positive\n1,b,Negative\n", encoding="utf-8")
    _refused(
        project, engine, f, "line 1: has an 'annotator' column: this is an annotations file", kind="gold"
    )
    jl = tmp_path / "ann.jsonl"
    jl.write_text(
        json.dumps({"item_id": "1", "annotator": "a", "label": "Positive"}) + "\n", encoding="utf-8"
    )
    _refused(project, engine, jl, "line 1: annotator: gold answers have no annotator", kind="gold")


def test_gold_refuses_two_answers_for_one_item(project: str, engine: Engine, tmp_path: Path) -> None:
    f = tmp_path / "g.csv"
    f.write_text("item_id,label\n1,Positive\n2,Neutral\n1,Negative\n", encoding="utf-8")
    _refused(project, engine, f, "line 4: label: item '1' already has gold 'Positive' at line 2", kind="gold")


def test_gold_changes_are_kept_in_history(project: str, engine: Engine, tmp_path: Path) -> None:
    f = tmp_path / "g.csv"
    f.write_text("item_id,label,task\n1,Positive,q\n2,Neutral,q\n", encoding="utf-8")
    assert _import(project, f, kind="gold")[0] == 0
    f.write_text("item_id,label,task\n1,Negative,q\n2,Neutral,q\n3,Positive,q\n", encoding="utf-8")
    code, output = _import(project, f, kind="gold")
    assert code == 0, output
    assert "inserted 1, replaced 1, unchanged 1" in output
    with session_scope(engine) as s:
        hist = [(h.task, h.item, h.old_label, h.new_label) for h in s.scalars(select(GoldHistory))]
        gold = {g.item: g.label for g in s.scalars(select(Gold))}
    assert hist == [("q", "1", "Positive", "Negative")]
    assert gold == {"1": "Negative", "2": "Neutral", "3": "Positive"}


# -- item 7: --dry-run reports and writes nothing ----------------------------------------------------


def test_dry_run_reports_new_changed_unchanged_and_writes_nothing(
    project: str, engine: Engine, tmp_path: Path
) -> None:
    f = tmp_path / "a.csv"
    f.write_text(HEADER + ROW.format(n=1) + ROW.format(n=2), encoding="utf-8")
    assert _import(project, f)[0] == 0
    f.write_text(
        HEADER + ROW.format(n=1) + "i2,a2,Negative,q,2026-01-02T00:00:00Z,,\n" + ROW.format(n=3),
        encoding="utf-8",
    )
    before = row_counts(engine)
    code, output = _import(project, f, "--dry-run")
    assert code == 0, output
    assert "dry run, nothing written" in output
    assert "would insert 1 new, replace 1 changed, leave 1 unchanged" in output
    assert row_counts(engine) == before
    code, output = _import(project, f)
    assert "inserted 1, replaced 1, unchanged 1" in output
    assert row_counts(engine) != before


@pytest.mark.parametrize("fmt", ["jsonl", "label-studio"])
def test_dry_run_of_every_format_writes_nothing(
    project: str, engine: Engine, tmp_path: Path, fmt: str
) -> None:
    if fmt == "jsonl":
        f = tmp_path / "a.jsonl"
        f.write_text(
            json.dumps({"item_id": "1", "annotator": "a", "label": "Positive"}) + "\n", encoding="utf-8"
        )
    else:
        f = Path(__file__).parent / "fixtures" / "label_studio_export.json"
    before = row_counts(engine)
    code, output = _import(project, f, "--dry-run")
    assert code == 0, output
    assert "dry run, nothing written" in output and "would insert" in output
    assert row_counts(engine) == before


def test_gold_dry_run_writes_nothing(project: str, engine: Engine, tmp_path: Path) -> None:
    f = tmp_path / "g.csv"
    f.write_text("item_id,label\n1,Positive\n", encoding="utf-8")
    assert _import(project, f, kind="gold")[0] == 0
    f.write_text("item_id,label\n1,Negative\n2,Neutral\n", encoding="utf-8")
    before = row_counts(engine)
    code, output = _import(project, f, "--dry-run", kind="gold")
    assert code == 0, output
    assert "would insert 1 new, replace 1 changed, leave 0 unchanged" in output
    assert row_counts(engine) == before
