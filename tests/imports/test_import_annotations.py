"""Imports into the store on both backends: counts, all-or-nothing refusal, upserts, round trips."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, select

from bot.errors import InputError
from bot.imports.load import import_annotations, import_gold
from bot.store.db import session_scope
from bot.store.models.annotations import Annotation, AnnotationHistory, Gold
from tests.conftest import row_counts
from tests.imports.test_readers import FIXTURE
from tests.support.guidelines import run_cli

HEADER = "item_id,annotator,label,task,created_at,duration_s,cohort\n"


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def _labels(engine: Engine) -> list[tuple[str, str, str, str, str]]:
    with session_scope(engine) as s:
        return [
            tuple(r)
            for r in s.execute(
                select(
                    Annotation.task,
                    Annotation.item,
                    Annotation.annotator,
                    Annotation.span_key,
                    Annotation.label,
                ).order_by(Annotation.task, Annotation.item, Annotation.annotator, Annotation.span_key)
            )
        ]


def test_label_studio_export_imports_with_counts_per_task(project: str, engine: Engine) -> None:
    out = run_cli(project, "import", "annotations", str(FIXTURE), "--project", "reviews")
    assert out.exit_code == 0, out.output
    assert "skipped (cancelled) 2" in out.output and "gold 2" in out.output
    with session_scope(engine) as s:
        per_task = Counter(s.scalars(select(Annotation.task)))
        gold = {(g.task, g.item): g.label for g in s.scalars(select(Gold))}
        sources = set(s.scalars(select(Annotation.source)))
        ext = set(s.scalars(select(Annotation.external_id)))
    assert per_task == {"sentiment": 4, "aspect": 4}
    assert gold == {("sentiment", "102"): "Neutral", ("sentiment", "103"): "Positive"}
    assert sources == {"label-studio"} and ext == {"1", "2", "4", "7"}  # cancelled and ground truth left out


def test_bad_row_among_10000_refuses_the_whole_file(project: str, engine: Engine, tmp_path: Path) -> None:
    rows = [f"item{i},ann{i % 7},Positive,q1,2026-01-01T00:00:00Z,3.5,north" for i in range(10_000)]
    rows[6_789] = "item6789,ann1,Postive,q1,2026-01-01T00:00:00Z,3.5,north"  # line 6791 (header is line 1)
    before = row_counts(engine)
    out = run_cli(
        project, "import", "annotations", str(_csv(tmp_path / "a.csv", rows)), "--project", "reviews"
    )
    assert out.exit_code == 2
    assert "1 invalid row;" in out.output
    assert "line 6791: label: unknown label 'Postive'" in out.output
    assert row_counts(engine) == before


def test_reimport_changes_nothing_and_newer_label_replaces(
    project: str, engine: Engine, tmp_path: Path
) -> None:
    f = _csv(tmp_path / "a.csv", [f"i{i},a{i % 3},Positive,q,2026-01-01T00:00:00Z,," for i in range(30)])
    first = import_annotations(engine, f, "reviews")
    assert (first.inserted, first.replaced) == (30, 0)
    after_first = row_counts(engine)
    again = import_annotations(engine, f, "reviews")
    assert (again.inserted, again.replaced, again.unchanged) == (0, 0, 30)
    assert row_counts(engine) == after_first
    newer = _csv(
        tmp_path / "b.csv",
        ["i0,a0,Negative,q,2026-01-02T00:00:00Z,,", "i1,a1,Negative,q,2025-12-31T00:00:00Z,,"],
    )
    s = import_annotations(engine, newer, "reviews")
    assert (s.inserted, s.replaced, s.unchanged) == (0, 1, 1)
    labels = {(item, ann): label for _t, item, ann, _k, label in _labels(engine)}
    assert labels[("i0", "a0")] == "Negative"  # newer replaces
    assert labels[("i1", "a1")] == "Positive"  # older is ignored
    with session_scope(engine) as sess:
        hist = sess.scalars(select(AnnotationHistory)).all()
    assert [(h.item, h.old_label, h.new_label) for h in hist] == [("i0", "Positive", "Negative")]
    assert row_counts(engine)["annotations"] == 30


def test_duplicate_keys_within_a_file_keep_the_newest(project: str, engine: Engine, tmp_path: Path) -> None:
    f = _csv(
        tmp_path / "a.csv",
        [
            "i,a,Positive,q,2026-01-01T00:00:00Z,,",
            "i,a,Negative,q,2026-01-03T00:00:00Z,,",
            "i,a,Neutral,q,2026-01-02T00:00:00Z,,",
        ],
    )
    assert import_annotations(engine, f, "reviews").inserted == 1
    assert _labels(engine) == [("q", "i", "a", "", "Negative")]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            HEADER.encode() + b"1,a,Happy,q,,,\n",
            "line 2: label: unknown label 'Happy' (allowed: Positive, Negative, Neutral)",
        ),
        (HEADER.encode() + b"1,,Positive,q,,,\n", "line 2: annotator: missing"),
        (HEADER.encode() + b"1,a,Positive,q,2026-01-01T10:00:00,,\n", "line 2: created_at: no time zone"),
        (HEADER.encode() + b"1,a,Positive,q,yesterday,,\n", "line 2: created_at: not ISO 8601: 'yesterday'"),
        (HEADER.encode() + b"1,a,Positive,q,,,caf\xe9\n", "line 2: -: not valid UTF-8"),
        (HEADER.encode() + b"1,a,Positive,q,,soon,\n", "line 2: duration_s: not a number: 'soon'"),
        (
            b'{"item_id": 1, "annotator": "a", "label": ["Positive"]}\n',
            "line 1: label: must be a string or number, got list",
        ),
        (
            b'{"item_id": 1, "annotator": "a", "label": true}\n',
            "line 1: label: must be a string or number, got bool",
        ),
        (b'{"item_id": 1, "annotator": "a"}\n{"item_id": 2\n', "line 1: label: missing"),
        (
            b'{"item_id": 1, "annotator": "a", "label": "Positive"}\n{"item_id": 2\n',
            "line 2: -: not valid JSON",
        ),
        (
            b'[{"id": 1, "annotations": [{"id": 5, "completed_by": 3, "result": [{"from_name": "s", "value": {"choices": ["Nope"]}}]}]}]',
            "record 1 (annotation 5), result 1: label: unknown label 'Nope'",
        ),
        (b'[{"id": 1, "annotations": []}', "file: -: file ends inside the JSON array"),
    ],
)
def test_each_kind_of_bad_input_is_named(
    project: str, engine: Engine, tmp_path: Path, content: bytes, expected: str
) -> None:
    f = tmp_path / "bad.dat"
    f.write_bytes(content)
    before = row_counts(engine)
    with pytest.raises(InputError) as exc:
        import_annotations(engine, f, "reviews")
    assert expected in exc.value.message
    assert row_counts(engine) == before


def test_cli_bad_input_exits_2(project: str, tmp_path: Path) -> None:
    f = _csv(tmp_path / "a.csv", ["1,a,Happy,q,,,"])
    assert run_cli(project, "import", "annotations", str(f), "--project", "reviews").exit_code == 2
    assert run_cli(project, "import", "annotations", str(f), "--project", "nope").exit_code == 2
    assert run_cli(project, "projects", "add", "x", "--guideline", "missing").exit_code == 2


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_import_round_trip(project: str, engine: Engine, tmp_path: Path, fmt: str) -> None:
    assert run_cli(project, "import", "annotations", str(FIXTURE), "--project", "reviews").exit_code == 0
    original = _labels(engine)
    out = tmp_path / f"out.{fmt}"
    res = run_cli(
        project, "export", "annotations", "--project", "reviews", "--format", fmt, "--out", str(out)
    )
    assert res.exit_code == 0 and "exported 8 annotations" in res.output
    assert run_cli(project, "projects", "add", "copy", "--guideline", "mini").exit_code == 0
    s = import_annotations(engine, out, "copy")
    assert s.inserted == 8
    with session_scope(engine) as sess:
        rows = sess.execute(
            select(
                Annotation.project,
                Annotation.task,
                Annotation.item,
                Annotation.annotator,
                Annotation.span_key,
                Annotation.label,
                Annotation.created_at,
                Annotation.duration_s,
                Annotation.external_id,
            ).order_by(Annotation.task, Annotation.item, Annotation.annotator, Annotation.span_key)
        ).all()
    by_project = {p: [r[1:] for r in rows if r[0] == p] for p in ("reviews", "copy")}
    assert by_project["reviews"] == by_project["copy"]
    assert len(original) == 8
    again = import_annotations(engine, out, "copy")  # and re-importing the export is a no-op
    assert (again.inserted, again.replaced) == (0, 0)


def test_parquet_export_has_every_row(project: str, tmp_path: Path) -> None:
    assert run_cli(project, "import", "annotations", str(FIXTURE), "--project", "reviews").exit_code == 0
    out = tmp_path / "out.parquet"
    res = run_cli(
        project, "export", "annotations", "--project", "reviews", "--format", "parquet", "--out", str(out)
    )
    assert res.exit_code == 0, res.output
    table = pq.read_table(out).to_pylist()
    assert len(table) == 8 and {r["task"] for r in table} == {"sentiment", "aspect"}
    assert any(r["span_start"] == 13 and r["span_end"] == 31 for r in table)


def test_gold_import_upserts(project: str, engine: Engine, tmp_path: Path) -> None:
    f = tmp_path / "gold.jsonl"
    f.write_text("\n".join(json.dumps({"item_id": i, "label": "Neutral", "task": "q"}) for i in range(5)))
    assert run_cli(project, "import", "gold", str(f), "--project", "reviews").exit_code == 0
    f.write_text(json.dumps({"item_id": 0, "label": "Positive", "task": "q"}))
    import_gold(engine, f, "reviews")
    with session_scope(engine) as s:
        gold = {g.item: g.label for g in s.scalars(select(Gold))}
    assert len(gold) == 5 and gold["0"] == "Positive"
    bad = tmp_path / "bad.csv"
    bad.write_text("item_id,label\n1,Wrong\n")
    out = run_cli(project, "import", "gold", str(bad), "--project", "reviews")
    assert out.exit_code == 2 and "line 2: label: unknown label 'Wrong'" in out.output


def test_projects_and_annotators_cli(project: str) -> None:
    out = run_cli(project, "annotators", "map", "17", "@ana", "--team", "north", "--locale", "de-DE")
    assert out.exit_code == 0, out.output
    run_cli(project, "annotators", "map", "17", "U024BE7LH", "--shift", "night")
    listed = json.loads(run_cli(project, "annotators", "list", "--json").output)
    assert listed == [
        {
            "tool_id": "17",
            "tool": None,
            "slack_user_id": "U024BE7LH",
            "email": None,
            "team": "north",
            "shift": "night",
            "vendor": None,
            "locale": "de-DE",
        }
    ]
    projects = json.loads(run_cli(project, "projects", "list", "--json").output)
    assert [(p["name"], p["guideline"], p["channels"]) for p in projects] == [("reviews", "mini", ["#q"])]


@pytest.mark.parametrize("existing", [False, True])
def test_awkward_text_survives_both_load_paths(
    project: str, engine: Engine, tmp_path: Path, existing: bool
) -> None:
    # Commas, quotes, newlines, tabs, backslashes and a literal \N: the COPY text must not mangle them.
    awkward = ['"a,b"', '"say ""hi"""', '"two\nlines"', '"tab\there"', "back\\slash", "\\N", "ünï€"]
    rows = [f"{item},ann,Positive,q,2026-01-01T00:00:00Z,1.5,{item}" for item in awkward]
    if existing:  # a project with rows takes the staged path
        import_annotations(engine, _csv(tmp_path / "first.csv", ["z,ann,Negative,q,,,"]), "reviews")
    s = import_annotations(engine, _csv(tmp_path / "a.csv", rows), "reviews")
    assert (s.read, s.inserted) == (7, 7)
    with session_scope(engine) as sess:
        got = sorted(sess.execute(select(Annotation.item, Annotation.cohort, Annotation.span_key)).all())
    expected = ["a,b", 'say "hi"', "two\nlines", "tab\there", "back\\slash", "\\N", "ünï€"]
    assert got == sorted([(e, e, "") for e in expected] + ([("z", None, "")] if existing else []))
    again = import_annotations(engine, _csv(tmp_path / "a.csv", rows), "reviews")
    assert (again.inserted, again.replaced, again.unchanged) == (0, 0, 7)


def test_duplicates_in_a_later_import_keep_the_newest_with_history(
    project: str, engine: Engine, tmp_path: Path
) -> None:
    import_annotations(engine, _csv(tmp_path / "a.csv", ["i,a,Positive,q,2026-01-01T00:00:00Z,,"]), "reviews")
    f = _csv(
        tmp_path / "b.csv",
        [
            "i,a,Neutral,q,2026-01-03T00:00:00Z,,",
            "i,a,Negative,q,2026-01-03T00:00:00Z,,",  # same time: the later line wins
            "j,a,Negative,q,2026-01-02T00:00:00Z,,",
        ],
    )
    s = import_annotations(engine, f, "reviews")
    assert (s.read, s.inserted, s.replaced) == (3, 1, 1)
    assert _labels(engine) == [("q", "i", "a", "", "Negative"), ("q", "j", "a", "", "Negative")]
    with session_scope(engine) as sess:
        hist = sess.scalars(select(AnnotationHistory)).all()
    assert [(h.item, h.old_label, h.new_label) for h in hist] == [("i", "Positive", "Negative")]


def test_invalid_row_after_a_duplicate_refuses_the_file(project: str, engine: Engine, tmp_path: Path) -> None:
    # The direct load meets the duplicate, starts again staged, and still reports the bad row once.
    f = _csv(
        tmp_path / "a.csv",
        ["i,a,Positive,q,,,", "i,a,Negative,q,,,", "k,a,Happy,q,,,"],
    )
    before = row_counts(engine)
    with pytest.raises(InputError) as exc:
        import_annotations(engine, f, "reviews")
    assert (
        "1 invalid row;" in exc.value.message and "line 4: label: unknown label 'Happy'" in exc.value.message
    )
    assert row_counts(engine) == before


def test_rows_written_meanwhile_are_merged_not_lost(
    project: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A webhook commits rows for the (empty) project after the import chose the direct load: the
    # direct load meets its key, is undone, and the staged merge keeps both sides.
    import bot.store.annotations as store

    real_direct = store._direct

    def direct_after_a_webhook(*args: object, **kwargs: object) -> int | None:
        seed = _csv(tmp_path / "seed.csv", ["i0,a0,Positive,q,2026-01-01T00:00:00Z,,", "z,a0,Neutral,q,,,"])
        monkeypatch.setattr(store, "_direct", real_direct)
        import_annotations(engine, seed, "reviews")  # another connection, committed before the load
        return real_direct(*args, **kwargs)  # type: ignore[arg-type]

    f = _csv(tmp_path / "a.csv", ["i0,a0,Negative,q,2026-01-02T00:00:00Z,,", "i1,a0,Positive,q,,,"])
    if engine.dialect.name == "postgresql":
        # Every writer of a project takes its lock first (bot.store.aggregates.lock): the other writer
        # cannot come between the emptiness check and the load; it waits and merges after the commit.
        import threading

        seed = _csv(tmp_path / "seed.csv", ["i0,a0,Positive,q,2026-01-01T00:00:00Z,,", "z,a0,Neutral,q,,,"])
        other: list[object] = []

        def direct_then_wait(*args: object, **kwargs: object) -> int | None:
            worker = threading.Thread(
                target=lambda: other.append(import_annotations(engine, seed, "reviews"))
            )
            worker.start()
            worker.join(1.0)
            assert worker.is_alive()  # waiting for the lock
            other.append(worker)
            return real_direct(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(store, "_direct", direct_then_wait)
        s = import_annotations(engine, f, "reviews")
        other[0].join(30)  # type: ignore[attr-defined]
        assert (s.inserted, s.replaced, s.unchanged) == (2, 0, 0)
        assert (other[1].inserted, other[1].unchanged) == (1, 1)  # type: ignore[attr-defined]
    else:
        monkeypatch.setattr(store, "_direct", direct_after_a_webhook)
        s = import_annotations(engine, f, "reviews")
        assert (s.inserted, s.replaced, s.unchanged) == (1, 1, 0)
    labels = {item: label for _t, item, _a, _k, label in _labels(engine)}
    assert labels == {"i0": "Negative", "i1": "Positive", "z": "Neutral"}


def test_a_key_committed_by_another_writer_during_a_staged_merge_is_merged(engine: Engine) -> None:
    # PostgreSQL (several writers): the project has rows (staged path); a webhook inserts a key the
    # file also has and commits while the merge waits on it. The merge is applied again and the
    # newer label wins, with history, instead of the import failing on the unique key.
    import threading
    import time

    from sqlalchemy import text

    from bot.store.annotations import merge_rows
    from bot.store.db import session_scope

    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: no other insert can come between the statements")

    def row(item: str, label: str, ts: str = "2026-11-02 09:00:00.000000") -> tuple:
        return ("t", item, "ann", label, None, None, None, "", ts, None, None, None)

    with session_scope(engine) as session:
        merge_rows(session, "p", None, "csv", lambda: [row("existing", "A")])
    hook = engine.connect()
    tx = hook.begin()
    hook.execute(
        text(
            "INSERT INTO annotations (project, task, item, annotator, label, span_key, created_at, source,"
            " updated_at) VALUES ('p', 't', 'new', 'ann', 'B', '', '2026-11-01 00:00:00+00', 'label-studio', now())"
        )
    )
    out: dict[str, object] = {}

    def run_import() -> None:
        try:
            with session_scope(engine) as session:
                out["counts"] = merge_rows(
                    session, "p", None, "csv", lambda: [row("existing", "A"), row("new", "C")]
                )
        except Exception as exc:  # reported by the assertion below
            out["error"] = exc

    worker = threading.Thread(target=run_import)
    worker.start()
    time.sleep(1.0)  # the merge is now waiting on the uncommitted key
    tx.commit()
    hook.close()
    worker.join(30)
    assert "error" not in out, out.get("error")
    assert out["counts"] == (2, 0, 1)  # staged 2; "new" replaced (B -> C), nothing inserted
    with engine.connect() as conn:
        labels = conn.execute(text("SELECT item, label FROM annotations ORDER BY item")).all()
        history = conn.execute(text("SELECT item, old_label, new_label FROM annotation_history")).all()
    assert [tuple(r) for r in labels] == [("existing", "A"), ("new", "C")]
    assert [tuple(r) for r in history] == [("new", "B", "C")]
