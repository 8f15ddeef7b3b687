"""Issue 13 item 9 end to end: import a CSV, digest it, and the weak annotator's alert is in the JSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.conftest import EXAMPLES
from tests.support.guidelines import run_cli

NAMES = ["ann-w", "t1", "t2", "t3", "t4", "t5"]


def _write(folder: Path) -> tuple[Path, Path]:
    """ann-w: 70% gold, 64% with the others' majority; five teammates at 90% gold and 82% consensus."""
    rows, gold = [], []
    for a in NAMES:
        right = 70 if a == "ann-w" else 90
        for i in range(100):
            item = f"g-{a}-{i}"
            rows.append((item, a, "Positive" if i < right else "Negative"))
            gold.append((item, "Positive"))
    wrong = {a: set(range(18 * k, 18 * k + 18)) for k, a in enumerate(NAMES[1:])}
    wrong["ann-w"] = set(range(90, 100)) | set(range(26))
    for i in range(100):
        rows += [(f"s-{i}", a, "Neutral" if i in wrong[a] else "Positive") for a in NAMES]
    ann_path, gold_path = folder / "annotations.csv", folder / "gold.csv"
    with ann_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["item_id", "annotator", "label", "created_at"])
        w.writerows(
            (item, a, lab, f"2026-11-18T{9 + k % 8:02d}:00:00Z") for k, (item, a, lab) in enumerate(rows)
        )
    with gold_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["item_id", "label"])
        w.writerows(gold)
    return ann_path, gold_path


def _ok(db_url: str, *args: str) -> str:
    result = run_cli(db_url, *args)
    assert result.exit_code == 0, result.output
    return result.output


def test_weak_annotator_alert_in_the_digest_json(db_url: str, tmp_path: Path) -> None:
    _ok(db_url, "guidelines", "publish", *sorted(str(p) for p in EXAMPLES.glob("product-sentiment/v*")))
    _ok(db_url, "projects", "add", "weak", "--guideline", "product-sentiment")
    ann_path, gold_path = _write(tmp_path)
    _ok(db_url, "import", "annotations", str(ann_path), "--project", "weak")
    _ok(db_url, "import", "gold", str(gold_path), "--project", "weak")
    digest = json.loads(_ok(db_url, "digest", "--project", "weak", "--all", "--format", "json"))

    rows = {r["annotator"]: r for r in digest["annotators"]}
    assert rows["ann-w"]["gold_accuracy"] == 0.7 and rows["t1"]["gold_accuracy"] == 0.9
    assert rows["ann-w"]["agreement_with_consensus"] == 0.64
    texts = rows["ann-w"]["alerts"]
    assert any(t.startswith("ann-w: gold 70% (n=100) vs team 90%: below the team, p=") for t in texts)
    assert any(
        t.startswith("ann-w: agreement with the others' majority 64% (n=100) vs team 82%") for t in texts
    )
    assert not any(rows[t]["alerts"] for t in NAMES[1:])
    weak = [a for a in digest["drift"] if a["rule"] == "below the team"]
    assert sorted(a["source"] for a in weak) == ["consensus", "gold"]
    assert {a["annotator"] for a in weak} == {"ann-w"}
    assert digest["headline"]["alerts"][0].startswith("ann-w: ")
