"""Pure readers and validation: no database."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.imports.fastcsv import csv_annotation_rows
from bot.imports.readers import detect_format, iter_json_array, read_csv, read_label_studio
from bot.imports.rows import AnnotationRow, LabelSet, Problems, Tally, annotation_rows
from bot.store.bulk import copy_csv, prefetch

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


def test_csv_lines_are_decoded_in_blocks_with_bad_lines_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.imports.readers._CHUNK", 16)  # many blocks, some lines longer than one
    lines = [b"item_id,annotator,label\n"] + [b"%d,a,Positive\n" % i for i in range(40)]
    lines[7] = b"6,a,Neg\xffative\n"
    lines[30] = b'"29\rx",a,"Posi\ntive"\n'  # a CR inside a field, a quoted newline: one record
    recs = list(read_csv(io.BytesIO(b"\xef\xbb\xbf" + b"".join(lines) + b"40,a,Neutral")))
    assert recs[6].pos == "line 8" and recs[6].problem == ("-", "not valid UTF-8")
    assert recs[29].fields == {"item_id": "29\rx", "annotator": "a", "label": "Posi\ntive"}
    assert recs[30].pos == "line 33" and recs[-1].fields["item_id"] == "40"
    assert len(recs) == 41


def _fast(data: bytes) -> tuple[list[tuple], Problems]:
    problems = Problems()
    rows = list(
        csv_annotation_rows(io.BytesIO(data), LABELS, problems, Tally(), "2026-01-01 00:00:00.000000")
    )
    return rows, problems


@pytest.mark.parametrize(
    ("ts", "stored"),
    [
        ("2026-03-01T10:20:30Z", "2026-03-01 10:20:30.000000"),
        ("2026-03-01T10:20:30+00:00", "2026-03-01 10:20:30.000000"),
        ("2024-02-29T23:59:59Z", "2024-02-29 23:59:59.000000"),
        ("2026-03-01T10:20:30.5+02:00", "2026-03-01 08:20:30.500000"),
        ("2026-02-29T10:20:30Z", None),  # not a leap year
        ("2026-03-01T24:00:00Z", None),
        ("2026-03-01T10:60:00Z", None),
        ("2026-03-01T10:20:30", None),  # no time zone
    ],
)
def test_fast_csv_timestamps_match_the_general_validator(ts: str, stored: str | None) -> None:
    rows, problems = _fast(f"item_id,annotator,label,created_at\n1,a,Positive,{ts}\n".encode())
    if stored is None:
        assert not rows and problems.shown[0].field == "created_at"
    else:
        assert not problems and rows[0][8] == stored


def test_copy_csv_quotes_only_chunks_that_need_it() -> None:
    clean = AnnotationRow("t", "i1", "a", "Positive", None, None, None, "", "2026-01-01 00:00:00.000000",
                          2.5, None, None)  # fmt: skip
    awkward = clean._replace(item='x,"y"\n\\N\tz\r', cohort="\\N", span_start=1, span_end=4, span_key="1:4")
    for rows in ([clean, clean], [clean, awkward]):
        text = "".join(chunk for chunk, _ in copy_csv(rows, ',"p",,"csv",2026-01-01 00:00:00+00'))
        parsed = list(csv.reader(io.StringIO(text, newline="")))
        assert [r[:12] for r in parsed] == [
            ["" if v is None else (v + "+00" if k == 8 else str(v)) for k, v in enumerate(r)] for r in rows
        ]
        assert all(p[12:] == ["p", "", "csv", "2026-01-01 00:00:00+00"] for p in parsed)
    assert text.count('"') > 10  # the second list was quoted


def test_prefetch_keeps_order_raises_worker_errors_and_stops_when_closed() -> None:
    assert list(prefetch(range(100), depth=3)) == list(range(100))

    def failing():
        yield 1
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        list(prefetch(failing()))
    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    it = prefetch(endless(), depth=2)
    assert next(it) == 0
    it.close()  # joins the worker
    count = len(produced)
    assert count <= 5 and len(produced) == count
