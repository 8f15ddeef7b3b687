"""Issue 13 item 1 through the real path: CSV spans → store → `annobot digest --format json`, both backends.

Before, the digest kept one row per item and annotator and ignored the offsets: spans that never met
reported alpha = 1.0 "reliable", and every other span was dropped without a word.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.digest_e2e.values_support import digest_json, guideline, ok, write_csv

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
HEADER = ["item_id", "annotator", "label", "span_start", "span_end", "created_at", "task"]
NER = ["PER", "LOC", "ORG"]
SPAN_REASON = "span task: see span agreement"


def _ts(i: int) -> str:
    return (T0 + timedelta(minutes=i)).isoformat()


def _setup(db_url: str, tmp: Path) -> None:
    ok(db_url, "guidelines", "publish", str(guideline(tmp, "g", "1.0.0", NER)))
    ok(db_url, "projects", "add", "p", "--guideline", "g")


def _known_rows() -> list[list[object]]:
    """24 items, ann-1 and ann-2, with the F1 worked out below."""
    rows: list[list[object]] = []
    for i in range(24):
        item = f"doc{i:02d}"
        if i < 10:  # both: PER [0,5) and LOC [10,15), identical → 2 exact matches per item
            spans = {"ann-1": [("PER", 0, 5), ("LOC", 10, 15)], "ann-2": [("PER", 0, 5), ("LOC", 10, 15)]}
        elif i < 20:  # PER [0,5) against PER [2,7): an overlap match, not an exact one
            spans = {"ann-1": [("PER", 0, 5)], "ann-2": [("PER", 2, 7)]}
        else:  # ORG [0,4) against LOC [20,25): no match of either kind
            spans = {"ann-1": [("ORG", 0, 4)], "ann-2": [("LOC", 20, 25)]}
        for ann, marked in spans.items():
            rows += [[item, ann, lab, s, e, _ts(i), "ner"] for lab, s, e in marked]
    return rows


# Spans on compared item pairs: 10·(2+2) + 10·(1+1) + 4·(1+1) = 68.
# Exact matches: 10·2 = 20 → F1 = 2·20/68 = 10/17. Overlap matches: 20 + 10 = 30 → F1 = 2·30/68 = 15/17.
# Per label: PER 10·2 + 10·2 = 40 spans, exact 10, overlap 20 → 1/2 and 1; LOC 10·2 + 4 = 24 spans,
# exact 10 → 20/24 = 5/6 (overlap the same); ORG 4 spans, no match → 0.
EXACT, OVERLAP = 10 / 17, 15 / 17


def test_span_task_gets_pairwise_f1(db_url: str, tmp_path: Path) -> None:
    _setup(db_url, tmp_path)
    rows = _known_rows()
    write_csv(tmp_path / "a.csv", HEADER, rows)
    ok(db_url, "import", "annotations", str(tmp_path / "a.csv"), "--project", "p")
    digest = digest_json(db_url, "p")

    (task,) = digest["tasks"]
    assert task["span_task"] is True
    spans = task["spans"]
    assert spans["exact_f1"] == pytest.approx(EXACT) and spans["overlap_f1"] == pytest.approx(OVERLAP)
    assert spans["exact"] == {"f1": pytest.approx(EXACT), "matches": 20, "spans": 68, "reason": None}
    assert spans["overlap"]["matches"] == 30
    assert (spans["items"], spans["item_pairs"], spans["empty_item_pairs"]) == (24, 24, 0)
    assert spans["spans"] == len(rows) == 68 and spans["uncompared_spans"] == 0
    labels = {x["label"]: x for x in spans["per_label"]}
    assert (labels["PER"]["spans"], labels["PER"]["exact_f1"], labels["PER"]["overlap_f1"]) == (40, 0.5, 1.0)
    assert labels["LOC"]["spans"] == 24 and labels["LOC"]["exact_f1"] == pytest.approx(5 / 6)
    assert labels["ORG"]["exact_f1"] == 0.0 and labels["ORG"]["overlap_f1"] == 0.0
    (pair,) = spans["pairs"]
    assert (pair["a"], pair["b"], pair["items"], pair["spans_a"], pair["spans_b"]) == (
        "ann-1",
        "ann-2",
        24,
        34,
        34,
    )
    # The store has no text length yet: alpha over positions is n/a with the reason.
    assert spans["position_alpha"]["alpha"] is None
    assert spans["position_alpha"]["reason"] == "text length unknown"

    # Item-level coefficients are n/a for a span task, and it is out of the headline, with the reason.
    agreement = task["agreement"]
    for key in ("percent", "krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "cohen_kappa_mean"):
        assert agreement[key] is None and agreement["reasons"][key] == SPAN_REASON
    assert digest["headline"]["alpha"] is None and digest["headline"]["alpha_reason"] == SPAN_REASON
    assert digest["headline"]["alpha_left_out"] == [{"task": "ner", "reason": SPAN_REASON}]
    assert digest["pairs"] == [] and digest["confusions"] == []
    # Annotator rows count every span.
    by_name = {a["annotator"]: a for a in digest["annotators"]}
    assert by_name["ann-1"]["spans"] == 34 and by_name["ann-2"]["spans"] == 34
    assert by_name["ann-1"]["annotations"] == 34
    assert digest["counts"]["annotations"] == 68


def test_spans_that_never_meet_are_not_reliable(db_url: str, tmp_path: Path) -> None:
    # Before: one row per item and annotator was kept and its offsets ignored, so PER against PER and
    # LOC against LOC on 25 items read α = 1.0 "reliable" although no span of one meets a span of the other.
    _setup(db_url, tmp_path)
    rows = [[f"doc{i:02d}", "ann-1", NER[i % 2], 0, 5, _ts(i), "ner"] for i in range(25)]
    rows += [[f"doc{i:02d}", "ann-2", NER[i % 2], 30, 40, _ts(i), "ner"] for i in range(25)]
    write_csv(tmp_path / "a.csv", HEADER, rows)
    ok(db_url, "import", "annotations", str(tmp_path / "a.csv"), "--project", "p")
    digest = digest_json(db_url, "p")
    (task,) = digest["tasks"]
    assert task["agreement"]["krippendorff_alpha"] is None
    assert digest["headline"]["alpha"] is None and digest["headline"]["alpha_band"] is None
    assert task["spans"]["exact_f1"] == 0.0 and task["spans"]["overlap_f1"] == 0.0


def test_span_task_left_out_of_a_mixed_headline(db_url: str, tmp_path: Path) -> None:
    _setup(db_url, tmp_path)
    rows = _known_rows()
    # An item-level task beside it: 25 items, two annotators agreeing on all but five.
    for i in range(25):
        rows.append([f"doc{i:02d}", "ann-1", NER[i % 3], "", "", _ts(i), "topic"])
        rows.append(
            [f"doc{i:02d}", "ann-2", NER[i % 3] if i >= 5 else NER[(i + 1) % 3], "", "", _ts(i), "topic"]
        )
    write_csv(tmp_path / "a.csv", HEADER, rows)
    ok(db_url, "import", "annotations", str(tmp_path / "a.csv"), "--project", "p")
    digest = digest_json(db_url, "p")
    tasks = {t["task"]: t for t in digest["tasks"]}
    topic_alpha = tasks["topic"]["agreement"]["krippendorff_alpha"]
    assert (
        topic_alpha is not None and tasks["topic"]["span_task"] is False and tasks["topic"]["spans"] is None
    )
    assert digest["headline"]["alpha"] == pytest.approx(topic_alpha)
    assert digest["headline"]["alpha_left_out"] == [{"task": "ner", "reason": SPAN_REASON}]
    assert tasks["ner"]["spans"]["exact_f1"] == pytest.approx(EXACT)
    by_name = {a["annotator"]: a for a in digest["annotators"]}
    # Consensus comes from the item-level task's 25 items only (not the span task's 24); spans from ner.
    assert by_name["ann-1"]["spans"] == 34 and by_name["ann-1"]["consensus_n"] == 25
    assert by_name["ann-1"]["annotations"] == 34 + 25
    assert {p["task"] for p in digest["pairs"]} == {"topic"}


def test_span_digest_renders_in_every_format(db_url: str, tmp_path: Path) -> None:
    _setup(db_url, tmp_path)
    write_csv(tmp_path / "a.csv", HEADER, _known_rows())
    ok(db_url, "import", "annotations", str(tmp_path / "a.csv"), "--project", "p")
    md = ok(db_url, "digest", "--project", "p", "--all", "--format", "markdown")
    assert "## Span agreement" in md and "| ner | 24 | 24 | 0.588 | 0.882 | n/a (text length unknown) |" in md
    html = ok(db_url, "digest", "--project", "p", "--all", "--format", "html")
    assert "<h3>Span agreement</h3>" in html and "0.882" in html
    blocks = ok(db_url, "digest", "--project", "p", "--all", "--format", "blocks")
    assert "*Span agreement* (ner) overlap F1 0.882 · exact F1 0.588 · 24 item pairs" in blocks


def test_alpha_over_positions_when_the_items_text_is_imported(db_url: str, tmp_path: Path) -> None:
    # The items' text (a `text` column) gives their length, so alpha over character positions is computed;
    # the oracle is NLTK's alpha over the same positions (each position: the label covering it, else "O").
    from tests.reports.test_metrics_spans import _nltk_position_alpha

    _setup(db_url, tmp_path)
    rows = _known_rows()
    texts = {f"doc{i:02d}": ("The parties agree & sign. " * 2)[: 26 + i % 5] for i in range(24)}
    write_csv(tmp_path / "a.csv", [*HEADER, "text"], [[*r, texts[str(r[0])]] for r in rows])
    ok(db_url, "import", "annotations", str(tmp_path / "a.csv"), "--project", "p")
    (task,) = digest_json(db_url, "p")["tasks"]
    position = task["spans"]["position_alpha"]
    lengths = {item: len(t) for item, t in texts.items()}
    oracle = _nltk_position_alpha([(str(i), str(a), str(lab), s, e) for i, a, lab, s, e, *_ in rows], lengths)
    assert position["alpha"] == pytest.approx(oracle, abs=1e-9), position
