"""Issue 13 item 5: any import the import accepts gives a digest, never a traceback, on both backends.

Hypothesis builds small projects through the real CLI path (publish guideline → projects add → import →
`annobot digest --format json`): any scale, multi-choice answers, spans (one or two per item and annotator, or on some rows of a task),
a second guideline version that drops
and adds labels, missing optional values, a single annotator, one item, one label, numbers written as
`2.0`. The digest must exit 0 with valid JSON whose numbers are finite and whose nulls carry a reason.
`ANNOBOT_DIGEST_EXAMPLES` raises the example count for a local hunt (CI keeps ~25 over both backends).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import _truncate_all
from tests.digest_e2e.values_support import guideline, write_csv
from tests.support.guidelines import run_cli

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
AGREEMENT_KEYS = ("percent", "krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "cohen_kappa_mean")
EXAMPLES = int(os.environ.get("ANNOBOT_DIGEST_EXAMPLES", "13"))  # per backend


@st.composite
def projects(draw: st.DrawFn) -> dict[str, Any]:
    """A guideline (one or two versions) and the CSV rows imported under each version."""

    def pool(scale: str) -> list[str]:
        return (
            ["1", "2", "3", "4", "5", "0.5", "-1", "10"]
            if scale == "interval"
            else ["A", "B", "C", "x y", "Ünï", "2"]
        )

    scales = ["nominal", "ordinal", "interval"]
    scale = draw(st.sampled_from(scales))
    labels_v1 = draw(st.lists(st.sampled_from(pool(scale)), min_size=1, max_size=4, unique=True))
    two_versions = draw(st.booleans())
    # The second version may change the scale too (nominal words, then interval numbers, ...).
    scale_v2 = draw(st.sampled_from([scale, *scales])) if two_versions else scale
    labels_v2 = (
        draw(st.lists(st.sampled_from(pool(scale_v2)), min_size=1, max_size=4, unique=True))
        if two_versions
        else None
    )
    multi = "interval" not in (scale, scale_v2) and draw(st.booleans())
    n_items = draw(st.integers(1, 25))
    annotators = [f"ann-{k}" for k in range(draw(st.integers(1, 4)))]
    tasks = draw(st.sampled_from([["default"], ["t1", "t2"], [""]]))
    has = {c: draw(st.booleans()) for c in ("created_at", "duration_s", "cohort", "task")}
    # Spans: none, on every row (one or two per item and annotator), or on some rows only (a mixed task).
    spans = draw(st.sampled_from(["none", "all", "some"]))
    has["spans"] = spans != "none"

    def label(labels: list[str], scale: str) -> str:
        if multi and len(labels) > 1 and draw(st.booleans()):
            return "|".join(draw(st.lists(st.sampled_from(labels), min_size=2, max_size=3)))
        lab = draw(st.sampled_from(labels))
        if scale != "nominal" and draw(st.integers(0, 3)) == 0:
            try:
                return repr(float(lab))  # "2.0" for "2": the same value
            except ValueError:
                return lab
        return lab

    def offsets() -> dict[str, str]:
        if spans == "none" or (spans == "some" and draw(st.booleans())):
            return {}
        start = draw(st.integers(0, 20))
        return {"span_start": str(start), "span_end": str(start + draw(st.integers(0, 8)))}

    def rows(labels: list[str], offset: int, scale: str) -> list[dict[str, str]]:
        out = []
        for i in range(n_items):
            for a in annotators:
                if len(annotators) > 1 and not draw(st.integers(0, 4)):
                    continue  # a missing rating
                for _ in range(draw(st.integers(1, 2)) if spans != "none" else 1):
                    out.append(
                        {
                            "item_id": f"it{i}",
                            "annotator": a,
                            "label": label(labels, scale),
                            "task": tasks[i % len(tasks)],
                            "created_at": (T0 + timedelta(hours=offset + i)).isoformat(),
                            "duration_s": draw(st.sampled_from(["", "0", "12.5"])),
                            "cohort": draw(st.sampled_from(["", "north", "south"])),
                            **offsets(),
                        }
                    )
        return out or [{"item_id": "it0", "annotator": annotators[0], "label": labels[0], "task": tasks[0]}]

    batches = [("1.0.0", labels_v1, rows(labels_v1, 0, scale), scale)]
    if labels_v2 is not None:
        batches.append(("1.1.0", labels_v2, rows(labels_v2, 200, scale_v2), scale_v2))
    gold = draw(st.sampled_from(["none", "some", "all"]))
    return {"scale": scale_v2, "batches": batches, "has": has, "gold": gold}


def _ok(db_url: str, *args: str) -> str:
    result = run_cli(db_url, *args)
    assert result.exit_code == 0, (args, result.output)
    return result.output


def _fresh(db_url: str, request: pytest.FixtureRequest, folder: Path) -> str:
    """An empty migrated database for each example (the db_url fixture is made once per test)."""
    if db_url.startswith("sqlite"):
        path = folder / "annobot.db"  # a new file: replacing one under a pooled connection breaks it
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    _truncate_all(db_url)
    return db_url


def _reject_constant(name: str) -> float:
    raise AssertionError(f"the JSON holds {name}: numbers must be finite or null")


def _check_numbers(value: Any, where: str = "$") -> None:
    if isinstance(value, float):
        assert math.isfinite(value), where
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_numbers(v, f"{where}.{k}")
    elif isinstance(value, list):
        for k, v in enumerate(value):
            _check_numbers(v, f"{where}[{k}]")


def _check_reasons(digest: dict[str, Any]) -> None:
    """Every null figure a lead reads has its reason beside it."""
    head = digest["headline"]
    assert head["alpha"] is not None or head["alpha_reason"]
    for task in digest["tasks"]:
        agreement = task["agreement"]
        for key in AGREEMENT_KEYS:
            assert agreement[key] is not None or agreement["reasons"].get(key), (task["task"], key)
        for day in task["daily"]:
            assert day["alpha"] is not None or day["reason"]
        for row in task["per_label"]:
            assert row["krippendorff_alpha"] is not None or row["reason"]
        assert len(task["coincidence"]) == len(task["labels"])
        if task["span_task"]:
            spans = task["spans"]
            assert spans["exact_f1"] is not None or spans["reason"]
            assert spans["position_alpha"]["alpha"] is not None or spans["position_alpha"]["reason"]
            for row in spans["per_label"] + spans["pairs"]:
                assert row["exact_f1"] is not None or row["reason"]
            for key in AGREEMENT_KEYS:
                assert agreement["reasons"][key] == "span task: see span agreement"
            assert any(x["task"] == task["task"] for x in head["alpha_left_out"])
    for pair in digest["pairs"]:
        assert pair["kappa"] is not None or pair["reason"]
    for rows in digest["segments"].values():
        for row in rows:
            assert row["alpha"] is not None or row["alpha_reason"]


@pytest.mark.parametrize("fmt", ["json"])
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(project=projects())
def test_any_accepted_import_digests(
    db_url: str, tmp_path: Path, request: pytest.FixtureRequest, fmt: str, project: dict[str, Any]
) -> None:
    tmp_path = Path(tempfile.mkdtemp(dir=tmp_path))
    db_url = _fresh(db_url, request, tmp_path)
    has = project["has"]
    header = (
        ["item_id", "annotator", "label"]
        + [c for c in ("task", "created_at", "duration_s", "cohort") if has[c]]
        + (["span_start", "span_end"] if has["spans"] else [])
    )
    gold_rows: dict[tuple[str, str], str] = {}
    for k, (version, labels, rows, scale) in enumerate(project["batches"]):
        folder = guideline(tmp_path, "g", version, labels, scale, name=f"g-{version}-{k}")
        _ok(db_url, "guidelines", "publish", str(folder))
        if k == 0:
            _ok(db_url, "projects", "add", "p", "--guideline", "g")
        path = write_csv(tmp_path / f"a{k}.csv", header, [[r.get(c, "") for c in header] for r in rows])
        _ok(db_url, "import", "annotations", str(path), "--project", "p")
        if project["gold"] != "none":
            for n, r in enumerate(rows):
                if project["gold"] == "all" or n % 3 == 0:
                    # Gold is checked against the current version's labels, as at its import.
                    gold_rows[(r.get("task", "") if has["task"] else "", r["item_id"])] = labels[
                        n % len(labels)
                    ]
            gold_header = ["item_id", "label"] + (["task"] if has["task"] else [])
            gold_path = write_csv(
                tmp_path / f"g{k}.csv",
                gold_header,
                [[item, lab] + ([task] if has["task"] else []) for (task, item), lab in gold_rows.items()],
            )
            _ok(db_url, "import", "gold", str(gold_path), "--project", "p")
            gold_rows.clear()
    text = _ok(db_url, "digest", "--project", "p", "--all", "--format", fmt)
    digest = json.loads(text, parse_constant=_reject_constant)
    _check_numbers(digest)
    _check_reasons(digest)
    assert digest["counts"]["annotations"] > 0
