"""Pure readers and validation: no database."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.imports.readers import detect_format, iter_json_array, read_csv, read_label_studio
from bot.imports.rows import LabelSet, Problems, Tally, annotation_rows

FIXTURE = Path(__file__).parent / "fixtures" / "label_studio_export.json"
LABELS = LabelSet(("Positive", "Negative", "Neutral"), "nominal")


def test_json_array_is_read_incrementally_across_chunk_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.imports.readers._CHUNK", 7)  # boundaries inside strings, numbers, UTF-8
    data = [{"a": "éü€𝄞" * 3, "n": 12345.5}, [1, 2, {"b": None}], "x", 98765]
    got = list(iter_json_array(io.BytesIO(json.dumps(data, ensure_ascii=False).encode())))
    assert got == data


def test_format_is_detected_from_content() -> None:
    assert detect_format(b"\xef\xbb\xbf  [\n{") == "label-studio"
    assert detect_format(b'{"item_id": 1}') == "jsonl"
    assert detect_format(b"item_id,annotator,label\n") == "csv"


def test_label_studio_export_flattens_per_control_tag_and_span() -> None:
    records = list(read_label_studio(FIXTURE.open("rb")))
    tally, problems, gold = Tally(), Problems(), []
    rows = list(annotation_rows(records, LABELS, problems, tally, "2026-01-01 00:00:00.000000", gold))
    assert not problems
    assert Counter(r.task for r in rows) == {"sentiment": 4, "aspect": 4}
    assert tally.cancelled == 2 and len(gold) == 2
    assert {r.annotator for r in rows} == {"11", "12"}  # int and {"id": ...} shapes
    spans = sorted((r.item, r.annotator, r.span_key, r.label) for r in rows if r.task == "aspect")
    assert spans[0] == ("101", "11", "0:11", "Positive")
    first = next(r for r in rows if r.external_id == "1" and r.task == "sentiment")
    assert first.duration_s == 37.13 and first.created_at == "2026-10-01 09:00:00.000000"
    tz = next(r for r in rows if r.external_id == "4")
    assert tz.created_at == "2026-10-02 08:00:00.000000"  # +02:00 stored as UTC


def test_bad_utf8_line_is_named() -> None:
    data = b"item_id,annotator,label\n1,a,Positive\n2,b,Neg\xffative\n"
    recs = list(read_csv(io.BytesIO(data)))
    assert recs[1].pos == "line 3" and recs[1].problem == ("-", "not valid UTF-8")


def test_report_lists_twenty_and_counts_the_rest() -> None:
    problems = Problems()
    for i in range(25):
        problems.add(f"line {i + 2}", "label", "unknown label 'X'")
    with pytest.raises(InputError) as exc:
        problems.raise_if_any("f.csv")
    msg = exc.value.message
    assert "25 invalid rows" in msg and "line 21: label" in msg and "line 22:" not in msg
    assert "and 5 more" in msg
