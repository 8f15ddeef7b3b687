"""bench/lookup_quality.py runs end to end on SQLite over a subset (so it does not rot)."""

from __future__ import annotations

import json
import time

import pytest

from bench import lookup_quality
from bench.lookup_quality import Baseline, first_right, scores


def test_runs_on_sqlite_over_a_subset(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.perf_counter()
    assert lookup_quality.main(["--backend", "sqlite", "--per-kind", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert time.perf_counter() - started < 10
    assert out["questions"] == 12
    systems = [r["system"] for r in out["results"]]
    assert systems == ["annobot/sqlite+channel", "fts5-bm25/sqlite"]
    for r in out["results"]:
        assert set(r["by_kind"]) == {"keyword", "paraphrase", "pasted", "short"}
        assert all(r["by_kind"][k]["n"] == 3 for k in r["by_kind"])
        assert 0 <= r["overall"]["top1"] <= r["overall"]["top3"] <= 1
        assert len(r["questions"]) == 12
    # Keyword questions use the guideline's words: the search finds at least one of them first.
    annobot = out["results"][0]
    assert any(q["rank"] == 1 for q in annobot["questions"] if q["kind"] == "keyword")


def test_table_output_is_the_same_twice(capsys: pytest.CaptureFixture[str]) -> None:
    lookup_quality.main(["--backend", "sqlite", "--per-kind", "2", "--failures", "3"])
    first = capsys.readouterr().out
    lookup_quality.main(["--backend", "sqlite", "--per-kind", "2", "--failures", "3"])
    assert capsys.readouterr().out == first
    assert "annobot/sqlite" in first and "fts5-bm25/sqlite" in first


def test_context_both_measures_before_and_with_channel(capsys: pytest.CaptureFixture[str]) -> None:
    assert lookup_quality.main(["--backend", "sqlite", "--per-kind", "3", "--context", "both", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    systems = [r["system"] for r in out["results"]]
    assert systems == ["annobot/sqlite", "annobot/sqlite+channel", "fts5-bm25/sqlite"]
    before, channel = out["results"][0]["overall"], out["results"][1]["overall"]
    # The channel's guideline first never loses a question the set's project already settles.
    assert channel["mrr10"] >= before["mrr10"]


def test_bad_context_boost_exits_2() -> None:
    with pytest.raises(SystemExit) as exc:
        lookup_quality.main(["--context-boost", "0"])
    assert exc.value.code == 2


def test_bad_per_kind_exits_2() -> None:
    with pytest.raises(SystemExit) as exc:
        lookup_quality.main(["--per-kind", "0"])
    assert exc.value.code == 2


def test_metrics() -> None:
    assert first_right(["a#x", "a#y", "a#z"], ("a#y", "a#z")) == 2
    assert first_right(["a#x"] * 12 + ["a#y"], ("a#y",)) is None
    s = scores([1, 2, None, 4])
    assert (s["top1"], s["top3"]) == (0.25, 0.5)
    assert s["mrr10"] == pytest.approx((1 + 0.5 + 0.25) / 4)


def test_baseline_stems_and_ranks_by_bm25() -> None:
    b = Baseline([("g", "one", "Sarcasm", "irony and jokes"), ("g", "two", "Negation", "negated praise")])
    assert b.ranking("negating")[:1] == ["g#two"]
    assert b.ranking("☆☆") == []
    assert b.ranking('say "hi') == []
