"""Issue 13 item 10 end to end: CSV import -> store -> `annobot digest --format json`, both backends.

The drift CUSUM sums the day's gold and consensus evidence: a drop that gold alone leaves below h on its
first day is alerted on that day once the same days' shared items are imported, and a day later without.
"""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from reports.metrics.drift import CUSUM_H, CUSUM_SHIFT
from tests.conftest import EXAMPLES
from tests.support.guidelines import run_cli

NAMES = ["ann-d", "t1", "t2", "t3", "t4", "t5"]
FIRST = date(2026, 10, 1)
DROP = 15  # days 0-13 are each chart's baseline (--all reads no frame), day 14 steady, 15-16 the drop


def _rows(shared: bool) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, str]]]:
    """17 days; each annotator 40 own gold items a day, 4 wrong (12 for ann-d from day 15 on).

    With `shared`, 20 items a day labelled by all six, annotator k wrong on items 2k and 2k+1 (ann-d, k = 0,
    also on items 12-15 from day 15): never two wrong on one item, so the others' majority is always the truth and
    every annotator's disagreement rate is its own error rate, 10% (ann-d: 30% from day 15).
    """
    rows, gold = [], []
    for d in range(17):
        stamp = f"{(FIRST + timedelta(days=d)).isoformat()}T10:00:00Z"
        dropped = d >= DROP
        for k, a in enumerate(NAMES):
            wrong = 12 if a == "ann-d" and dropped else 4
            for i in range(40):
                item = f"g-{d}-{a}-{i}"
                rows.append((item, a, "Negative" if i < wrong else "Positive", stamp))
                gold.append((item, "Positive"))
            if shared:
                bad = {2 * k, 2 * k + 1} | (set(range(12, 16)) if a == "ann-d" and dropped else set())
                rows += [(f"s-{d}-{i}", a, "Negative" if i in bad else "Positive", stamp) for i in range(20)]
    return rows, gold


def _digest(db_url: str, folder: Path, shared: bool) -> dict:  # type: ignore[type-arg]
    rows, gold = _rows(shared)
    ann_path, gold_path = folder / "annotations.csv", folder / "gold.csv"
    with ann_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["item_id", "annotator", "label", "created_at"])
        w.writerows(rows)
    with gold_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["item_id", "label"])
        w.writerows(gold)
    for args in (
        ("guidelines", "publish", *sorted(str(p) for p in EXAMPLES.glob("product-sentiment/v*"))),
        ("projects", "add", "drift", "--guideline", "product-sentiment"),
        ("import", "annotations", str(ann_path), "--project", "drift"),
        ("import", "gold", str(gold_path), "--project", "drift"),
    ):
        result = run_cli(db_url, *args)
        assert result.exit_code == 0, result.output
    result = run_cli(db_url, "digest", "--project", "drift", "--all", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_constants_make_the_day_a_split_decision() -> None:
    # The arithmetic behind the two tests below (p0 = 0.1 exactly: every baseline is 10%, so is the team's).
    import math

    p0, p1 = 0.1, 0.1 + CUSUM_SHIFT
    w_err, w_ok = math.log(p1 / p0), math.log((1 - p1) / (1 - p0))
    gold_day, cons_day = 12 * w_err + 28 * w_ok, 6 * w_err + 14 * w_ok
    steady_day = 4 * w_err + 36 * w_ok + 2 * w_err + 18 * w_ok
    assert steady_day < 0  # day 14: S stays at 0
    assert gold_day < CUSUM_H < gold_day + cons_day  # 5.89 < 6.25 < 8.84
    assert 2 * gold_day > CUSUM_H  # gold alone: 11.8 on day 16


def test_gold_and_consensus_alert_the_drop_on_its_day(db_url: str, tmp_path: Path) -> None:
    d = _digest(db_url, tmp_path, shared=True)
    drift = [a for a in d["drift"] if a["rule"] == "CUSUM above h"]
    assert [(a["annotator"], a["day"], a["source"]) for a in drift] == [
        ("ann-d", (FIRST + timedelta(days=DROP)).isoformat(), "gold+consensus")
    ]
    a = drift[0]
    # value: the run's pooled error rate, (12 + 6) / 60; limit: what the centres expect, 10%.
    assert a["value"] == pytest.approx(0.3) and a["limit"] == pytest.approx(0.1) and a["n"] == 60
    assert a["text"] == (
        "ann-d: gold accuracy fell to 70% (95% CI 55–82%, n=40) and agreement with the others' majority "
        "70% (95% CI 48–85%, n=20) in the days up to 16 Oct, against 90% and 90% before (CUSUM)"
    )
    assert not [x for x in d["drift"] if x["annotator"] != "ann-d"]
    pts = {(p["source"], p["day"]) for p in d["drift_points"] if p["annotator"] == "ann-d"}
    assert ("consensus", a["day"]) in pts and ("gold", a["day"]) in pts


def test_gold_only_alerts_the_drop_a_day_later(db_url: str, tmp_path: Path) -> None:
    d = _digest(db_url, tmp_path, shared=False)
    drift = [a for a in d["drift"] if a["rule"] == "CUSUM above h"]
    assert [(a["annotator"], a["day"], a["source"]) for a in drift] == [
        ("ann-d", (FIRST + timedelta(days=DROP + 1)).isoformat(), "gold")
    ]
    assert drift[0]["n"] == 80 and drift[0]["value"] == pytest.approx(0.3)
    assert drift[0]["text"].startswith("ann-d: gold accuracy fell to 70% (95% CI ")
    assert drift[0]["text"].endswith("n=80) in the days up to 17 Oct, against 90% before (CUSUM)")
