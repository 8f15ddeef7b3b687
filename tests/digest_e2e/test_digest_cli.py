"""Issue 5 end to end, as a new user would: import a CSV, ask for the digest, check it against oracles."""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
from statsmodels.stats.proportion import proportion_confint

from tests.conftest import EXAMPLES
from tests.support.guidelines import run_cli

LABELS = ["Positive", "Negative", "Neutral", "Mixed"]
ANNOTATORS = ["ann-01", "ann-02", "ann-03"]
ITEMS = 80


def _write_data(folder: Path) -> tuple[Path, Path, dict[str, dict[str, str]], dict[str, str]]:
    """Three annotators label 80 items; ann-03 is noisier. 30 items have gold."""
    rng = random.Random(5)
    truth = {f"r{i:03d}": rng.choice(LABELS) for i in range(ITEMS)}
    noise = {"ann-01": 0.1, "ann-02": 0.15, "ann-03": 0.35}
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    labels: dict[str, dict[str, str]] = {a: {} for a in ANNOTATORS}
    ann_path = folder / "annotations.csv"
    with ann_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["item_id", "annotator", "label", "created_at", "duration_s"])
        for i, (item, label) in enumerate(truth.items()):
            for a in ANNOTATORS:
                given = rng.choice(LABELS) if rng.random() < noise[a] else label
                labels[a][item] = given
                ts = (start + timedelta(hours=i)).isoformat()
                w.writerow([item, a, given, ts, round(rng.uniform(5, 40), 1)])
    gold = {item: truth[item] for item in list(truth)[:30]}
    gold_path = folder / "gold.csv"
    with gold_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["item_id", "label"])
        w.writerows(gold.items())
    return ann_path, gold_path, labels, gold


def _ok(db_url: str, *args: str) -> str:
    result = run_cli(db_url, *args)
    assert result.exit_code == 0, result.output
    return result.output


def test_digest_json_matches_independent_oracles(db_url: str, tmp_path: Path) -> None:
    _ok(db_url, "guidelines", "publish", *sorted(str(p) for p in EXAMPLES.glob("product-sentiment/v*")))
    _ok(db_url, "projects", "add", "reviews", "--guideline", "product-sentiment")
    ann_path, gold_path, labels, gold = _write_data(tmp_path)
    _ok(db_url, "import", "annotations", str(ann_path), "--project", "reviews")
    _ok(db_url, "import", "gold", str(gold_path), "--project", "reviews")
    digest = json.loads(_ok(db_url, "digest", "--project", "reviews", "--all", "--format", "json"))

    assert digest["project"] == "reviews"
    assert digest["counts"] == {"annotations": ITEMS * 3, "items": ITEMS, "annotators": 3, "gold_items": 30}
    (task,) = digest["tasks"]
    items = sorted(labels["ann-01"])
    codes = {lab: k for k, lab in enumerate(LABELS)}
    matrix = np.array([[codes[labels[a][i]] for i in items] for a in ANNOTATORS], dtype=float)

    agreement = task["agreement"]
    alpha = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert agreement["krippendorff_alpha"] == pytest.approx(alpha, abs=1e-9)
    table, _ = aggregate_raters(matrix.T.astype(int), n_cat=len(LABELS))
    assert agreement["fleiss_kappa"] == pytest.approx(fleiss_kappa(table, method="fleiss"), abs=1e-9)
    kappas = [
        cohen_kappa_score([labels[a][i] for i in items], [labels[b][i] for i in items], labels=LABELS)
        for k, a in enumerate(ANNOTATORS)
        for b in ANNOTATORS[k + 1 :]
    ]
    assert agreement["cohen_kappa_mean"] == pytest.approx(np.mean(kappas), abs=1e-9)
    assert agreement["pairable"] == ITEMS

    by_name = {a["annotator"]: a for a in digest["annotators"]}
    for a in ANNOTATORS:
        correct = sum(labels[a][i] == g for i, g in gold.items())
        assert by_name[a]["gold_n"] == 30
        assert by_name[a]["gold_accuracy"] == pytest.approx(correct / 30, abs=1e-9)
        low, high = proportion_confint(correct, 30, method="wilson")
        assert by_name[a]["gold_ci"] == pytest.approx([low, high], abs=1e-9)


def test_digest_formats_and_bad_input(db_url: str, tmp_path: Path) -> None:
    _ok(db_url, "guidelines", "publish", *sorted(str(p) for p in EXAMPLES.glob("product-sentiment/v*")))
    _ok(db_url, "projects", "add", "reviews", "--guideline", "product-sentiment")
    ann_path, _, _, _ = _write_data(tmp_path)
    _ok(db_url, "import", "annotations", str(ann_path), "--project", "reviews")
    html = tmp_path / "out" / "digest.html"
    _ok(db_url, "digest", "--project", "reviews", "--all", "--format", "html", "--out", str(html))
    assert html.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    md = _ok(db_url, "digest", "--project", "reviews", "--all", "--format", "markdown")
    assert "reviews" in md
    blocks = json.loads(_ok(db_url, "digest", "--project", "reviews", "--all", "--format", "blocks"))[
        "blocks"
    ]
    assert 0 < len(blocks) <= 50
    bad = run_cli(db_url, "digest", "--project", "nope", "--all")
    assert bad.exit_code == 2 and "no project 'nope'" in bad.output
    window = run_cli(db_url, "digest", "--project", "reviews", "--window", "seven days")
    assert window.exit_code == 2 and "--window" in window.output
