"""Issue 13 items 2-4 through the real path (publish → projects add → import → `annobot digest --format json`).

Multi-choice labels against NLTK's MASI alpha, `1.0`/`1` values and gold, and a label retired in 1.1.0.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import masi_distance
from sqlalchemy import select

from bot.store.db import make_engine, session_scope
from bot.store.models.annotations import Annotation, Gold
from tests.digest_e2e.values_support import digest_json, guideline, ok, write_csv

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
HEADER = ["item_id", "annotator", "label", "created_at"]


def _ts(i: int) -> str:
    return (T0 + timedelta(minutes=i)).isoformat()


def _setup(db_url: str, tmp: Path, labels: list[str], scale: str = "nominal") -> None:
    ok(db_url, "guidelines", "publish", str(guideline(tmp, "g", "1.0.0", labels, scale)))
    ok(db_url, "projects", "add", "p", "--guideline", "g")


# --- item 2: multi-choice -------------------------------------------------------------------------

TOPICS = ["price", "quality", "service", "shipping"]


def _topic_rows(n_items: int, annotators: list[str], seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n_items):
        truth = set(rng.sample(TOPICS, rng.randint(1, 3)))
        for a in annotators:
            given = set(truth)
            if rng.random() < 0.35:
                given ^= {rng.choice(TOPICS)}
            if not given:
                given = {rng.choice(TOPICS)}
            # Unsorted on purpose: the import stores the choices sorted.
            rows.append([f"it{i:03d}", a, "|".join(sorted(given, reverse=True)), _ts(i)])
    return rows


def _nltk_masi_alpha(rows: list[list[str]]) -> float:
    task = AnnotationTask(
        data=[(a, item, frozenset(label.split("|"))) for item, a, label, _ in rows], distance=masi_distance
    )
    return task.alpha()


def test_multi_choice_digest_matches_nltk_masi_alpha(db_url: str, tmp_path: Path) -> None:
    _setup(db_url, tmp_path, TOPICS)
    annotators = ["ann-1", "ann-2", "ann-3"]
    rows = _topic_rows(40, annotators, seed=13)
    # Missing ratings: one annotator skips a few items (NLTK's alpha, like ours, takes items with >= 2).
    rows = [r for r in rows if not (r[1] == "ann-3" and r[0] < "it008")]
    write_csv(tmp_path / "a.csv", HEADER, rows)
    ok(db_url, "import", "annotations", str(tmp_path / "a.csv"), "--project", "p")
    digest = digest_json(db_url, "p")

    (task,) = digest["tasks"]
    agreement = task["agreement"]
    assert task["multi_choice"] is True
    assert agreement["alpha_distance"] == "masi"
    assert agreement["krippendorff_alpha"] == pytest.approx(_nltk_masi_alpha(rows), abs=1e-9)
    # Exact-set percent agreement; chance-corrected coefficients over exact sets are n/a with a reason.
    for name in ("fleiss_kappa", "gwet_ac1", "cohen_kappa_mean"):
        assert agreement[name] is None
        assert "multi-choice" in agreement["reasons"][name]
    assert all(p["kappa"] is None and "multi-choice" in p["reason"] for p in digest["pairs"])

    # Per-label binary agreement: present/absent per item and annotator, nominal alpha, NLTK as oracle.
    per_label = {p["label"]: p for p in task["per_label"]}
    assert sorted(per_label) == TOPICS
    for label in TOPICS:
        binary = AnnotationTask(data=[(a, item, label in lab.split("|")) for item, a, lab, _ in rows])
        assert per_label[label]["krippendorff_alpha"] == pytest.approx(binary.alpha(), abs=1e-9)
        present = sum(label in r[2].split("|") for r in rows)
        assert per_label[label]["present"] == present

    # Stored sorted, whatever order the file gave.
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        stored = set(session.scalars(select(Annotation.label)))
    engine.dispose()
    assert all(s.split("|") == sorted(s.split("|")) for s in stored)


def test_multi_choice_gold_compares_sets(db_url: str, tmp_path: Path) -> None:
    _setup(db_url, tmp_path, TOPICS)
    rows = [[f"it{i:02d}", a, "service|price", _ts(i)] for i in range(25) for a in ("ann-1", "ann-2")]
    write_csv(tmp_path / "a.csv", HEADER, rows)
    write_csv(tmp_path / "g.csv", ["item_id", "label"], [[f"it{i:02d}", "price|service"] for i in range(25)])
    ok(db_url, "import", "annotations", str(tmp_path / "a.csv"), "--project", "p")
    ok(db_url, "import", "gold", str(tmp_path / "g.csv"), "--project", "p")
    digest = digest_json(db_url, "p")
    assert digest["headline"]["gold_accuracy"] == 1.0
    assert digest["headline"]["gold_n"] == 50


# --- item 3: numbers are numbers --------------------------------------------------------------------


@pytest.mark.parametrize("scale", ["interval", "ordinal"])
def test_numeric_labels_stored_canonical_and_gold_by_value(db_url: str, tmp_path: Path, scale: str) -> None:
    _setup(db_url, tmp_path, ["1", "2", "3", "4", "5"], scale)
    rng = random.Random(3)
    truth = {f"it{i:02d}": rng.randint(1, 5) for i in range(20)}
    # ann-1 writes "3.0", ann-2 writes "3": the same value.
    rows = [[item, "ann-1", f"{v}.0", _ts(i)] for i, (item, v) in enumerate(truth.items())]
    rows += [[item, "ann-2", str(v), _ts(i)] for i, (item, v) in enumerate(truth.items())]
    write_csv(tmp_path / "a.csv", HEADER, rows)
    write_csv(tmp_path / "g.csv", ["item_id", "label"], [[item, f"{v}.0"] for item, v in truth.items()])
    ok(db_url, "import", "annotations", str(tmp_path / "a.csv"), "--project", "p")
    ok(db_url, "import", "gold", str(tmp_path / "g.csv"), "--project", "p")

    engine = make_engine(db_url)
    with session_scope(engine) as session:
        labels = set(session.scalars(select(Annotation.label)))
        nums = {
            (r.label, r.label_num) for r in session.execute(select(Annotation.label, Annotation.label_num))
        }
        gold = set(session.scalars(select(Gold.label)))
    engine.dispose()
    assert labels <= {"1", "2", "3", "4", "5"}
    assert gold <= {"1", "2", "3", "4", "5"}
    expected_num = (lambda lab: float(lab)) if scale == "interval" else (lambda lab: float(int(lab) - 1))
    assert all(num == expected_num(lab) for lab, num in nums)

    digest = digest_json(db_url, "p")
    by_name = {a["annotator"]: a for a in digest["annotators"]}
    assert by_name["ann-1"]["gold_accuracy"] == 1.0 and by_name["ann-1"]["gold_n"] == 20
    assert by_name["ann-2"]["gold_accuracy"] == 1.0 and by_name["ann-2"]["gold_n"] == 20
    (task,) = digest["tasks"]
    assert task["agreement"]["percent"] == 1.0
    assert task["agreement"]["krippendorff_alpha"] == pytest.approx(1.0)


# --- item 4: versions -------------------------------------------------------------------------------


def test_label_retired_in_a_later_version(db_url: str, tmp_path: Path) -> None:
    _setup(db_url, tmp_path, ["A", "B", "C"])
    rng = random.Random(4)
    rows = [[f"it{i:02d}", a, rng.choice("ABC"), _ts(i)] for i in range(30) for a in ("ann-1", "ann-2")]
    write_csv(tmp_path / "a.csv", HEADER, rows)
    ok(db_url, "import", "annotations", str(tmp_path / "a.csv"), "--project", "p")
    ok(db_url, "guidelines", "publish", str(guideline(tmp_path, "g", "1.1.0", ["A", "B"])))
    later = [
        [f"new{i:02d}", a, rng.choice("AB"), _ts(100 + i)] for i in range(10) for a in ("ann-1", "ann-2")
    ]
    write_csv(tmp_path / "b.csv", HEADER, later)
    ok(db_url, "import", "annotations", str(tmp_path / "b.csv"), "--project", "p")

    digest = digest_json(db_url, "p")
    (task,) = digest["tasks"]
    n_c = sum(r[2] == "C" for r in rows)
    assert task["retired_labels"] == [{"label": "C", "removed_in": "1.1.0", "annotations": n_c}]
    assert task["labels"] == ["A", "B", "C"]
    assert digest["counts"]["annotations"] == 80
    assert task["agreement"]["pairable"] == 40


def test_a_scale_changed_from_words_to_numbers_is_compared_at_the_nominal_level(
    db_url: str, tmp_path: Path
) -> None:
    # 1.0.0 rated in words on a nominal scale, 1.1.0 in numbers on an interval scale: a word and a number
    # have no interval distance, so the task is compared at the nominal level and the digest says why.
    _setup(db_url, tmp_path, ["low", "high"])
    rng = random.Random(7)
    rows = [
        [f"it{i:02d}", a, rng.choice(["low", "high"]), _ts(i)] for i in range(30) for a in ("ann-1", "ann-2")
    ]
    write_csv(tmp_path / "a.csv", HEADER, rows)
    ok(db_url, "import", "annotations", str(tmp_path / "a.csv"), "--project", "p")
    ok(db_url, "guidelines", "publish", str(guideline(tmp_path, "g", "1.1.0", ["1", "2", "3"], "interval")))
    later = [
        [f"new{i:02d}", a, rng.choice("123"), _ts(100 + i)] for i in range(30) for a in ("ann-1", "ann-2")
    ]
    write_csv(tmp_path / "b.csv", HEADER, later)
    ok(db_url, "import", "annotations", str(tmp_path / "b.csv"), "--project", "p")

    digest = digest_json(db_url, "p")
    (task,) = digest["tasks"]
    assert task["scale"] == "interval" and task["agreement"]["alpha_distance"] == "nominal"
    assert '"low"' in task["scale_note"] and "nominal level" in task["scale_note"]
    data = [(a, item, label) for item, a, label, _ in rows + later]
    assert task["agreement"]["krippendorff_alpha"] == pytest.approx(
        AnnotationTask(data=data).alpha(), abs=1e-9
    )


def test_retired_ordinal_label_keeps_latest_order(db_url: str, tmp_path: Path) -> None:
    _setup(db_url, tmp_path, ["low", "mid", "high", "extreme"], "ordinal")
    rows = [
        [f"it{i:02d}", a, ["low", "mid", "high", "extreme"][i % 4], _ts(i)] for i in range(24) for a in "xy"
    ]
    write_csv(tmp_path / "a.csv", HEADER, rows)
    ok(db_url, "import", "annotations", str(tmp_path / "a.csv"), "--project", "p")
    # 1.1.0 drops "mid" and reorders nothing else but puts "none" first.
    ok(
        db_url,
        "guidelines",
        "publish",
        str(guideline(tmp_path, "g", "1.1.0", ["none", "low", "high", "extreme"], "ordinal")),
    )
    digest = digest_json(db_url, "p")
    (task,) = digest["tasks"]
    # The retired label sits where it stood in the version that had it: after "low".
    assert task["labels"] == ["none", "low", "mid", "high", "extreme"]
    assert [r["label"] for r in task["retired_labels"]] == ["mid"]
    assert task["agreement"]["krippendorff_alpha"] == pytest.approx(1.0)
