"""Issue 12 item 2 on both backends: imports keep each item's display data (text, url, Label Studio task
data), refuse bad display columns naming file/line/field, and get_item returns it with the item's labels."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from bot.errors import InputError
from bot.imports.items import MAX_DATA_BYTES, MAX_TEXT, MAX_URL
from bot.imports.load import import_annotations, import_gold
from bot.store.db import session_scope
from bot.store.items import ItemLabel, get_item, get_items
from bot.store.models.items import Item
from tests.conftest import row_counts
from tests.imports.test_readers import FIXTURE
from tests.support.guidelines import run_cli


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _items(engine: Engine, project: str = "reviews") -> dict[str, tuple[object, ...]]:
    with session_scope(engine) as s:
        rows = s.execute(
            select(Item.item, Item.text, Item.url, Item.data, Item.note, Item.source).where(
                Item.project == project
            )
        )
        return {r.item: tuple(r)[1:] for r in rows}


def test_csv_text_and_url_columns_are_kept_per_item_last_row_wins(
    project: str, engine: Engine, tmp_path: Path
) -> None:
    f = _write(
        tmp_path / "a.csv",
        "item_id,annotator,label,text,url\n"
        "i1,a1,Positive,first text,\n"
        "i1,a2,Negative,the text a labeler saw,https://example.com/i1.png\n"
        "i2,a1,Neutral,,\n"  # no display data: no item row
        'i3,a1,Positive,"<@U123> & <!channel>, ""quoted""\nsecond line",\n',
    )
    summary = import_annotations(engine, f, "reviews")
    assert (summary.inserted, summary.items) == (4, 2)
    assert _items(engine) == {
        "i1": ("the text a labeler saw", "https://example.com/i1.png", None, None, "csv"),
        "i3": ('<@U123> & <!channel>, "quoted"\nsecond line', None, None, None, "csv"),
    }


def test_reimport_updates_display_data_and_a_file_without_it_leaves_it(
    project: str, engine: Engine, tmp_path: Path
) -> None:
    import_annotations(
        engine, _write(tmp_path / "a.csv", "item_id,annotator,label,text\ni1,a,Positive,old\n"), "reviews"
    )
    import_annotations(
        engine, _write(tmp_path / "b.csv", "item_id,annotator,label,text\ni1,a,Positive,new\n"), "reviews"
    )
    assert _items(engine)["i1"][0] == "new"
    import_annotations(
        engine, _write(tmp_path / "c.csv", "item_id,annotator,label\ni1,b,Negative\n"), "reviews"
    )
    assert _items(engine)["i1"][0] == "new"


def test_jsonl_text_url_and_data_fields(project: str, engine: Engine, tmp_path: Path) -> None:
    lines = [
        {"item_id": "j1", "annotator": "a", "label": "Positive", "text": "plain", "url": "s3://b/j1"},
        {"item_id": "j2", "annotator": "a", "label": "Positive", "data": {"review": "from data", "image": "https://x/2.jpg"}},
        {"item_id": "j3", "annotator": "a", "label": "Positive", "text": 42},
    ]  # fmt: skip
    f = _write(tmp_path / "a.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
    assert import_annotations(engine, f, "reviews").items == 3
    got = _items(engine)
    assert got["j1"] == ("plain", "s3://b/j1", None, None, "jsonl")
    assert got["j2"] == (
        "from data",
        "https://x/2.jpg",
        {"review": "from data", "image": "https://x/2.jpg"},
        None,
        "jsonl",
    )
    assert got["j3"][0] == "42"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"text": "x" * (MAX_TEXT + 1)}, f"line 2: text: longer than {MAX_TEXT} characters ({MAX_TEXT + 1})"),
        ({"url": "u" * (MAX_URL + 1)}, f"line 2: url: longer than {MAX_URL} characters"),
        ({"url": 5}, "line 2: url: must be a string, got int"),
        ({"text": ["a"]}, "line 2: text: must be a string or number, got list"),
        ({"text": "bell\x07"}, "line 2: text: contains the control character U+0007 at position 5"),
        ({"data": [1]}, "line 2: data: must be a JSON object, got list"),
        (
            {"data": {"text": "x" * MAX_DATA_BYTES}},
            f"line 2: data: larger than {MAX_DATA_BYTES:,} bytes as JSON",
        ),
        ({"text": "\ud800"}, "line 2: text: contains a lone surrogate U+D800 at position 1"),
    ],
)
def test_bad_display_fields_refuse_the_file_naming_line_and_field(
    project: str, engine: Engine, tmp_path: Path, line: dict[str, object], message: str
) -> None:
    ok = {"item_id": "k0", "annotator": "a", "label": "Positive", "text": "fine"}
    bad = {"item_id": "k1", "annotator": "a", "label": "Positive", **line}
    f = _write(tmp_path / "bad.jsonl", json.dumps(ok) + "\n" + json.dumps(bad) + "\n")
    before = row_counts(engine)
    with pytest.raises(InputError) as exc:
        import_annotations(engine, f, "reviews")
    assert f"{f}: refused, 1 invalid row" in exc.value.message
    assert message in exc.value.message
    assert row_counts(engine) == before  # neither the annotations nor the good row's item


def test_csv_fast_and_general_paths_agree_on_display_data(
    project: str, engine: Engine, tmp_path: Path
) -> None:
    # Row 2 takes the general path (a formula-guarded cell), row 3 the fast path; a too-long text refuses.
    f = _write(
        tmp_path / "a.csv", "item_id,annotator,label,text\ni1,a,Positive,'=SUM(A1)\ni2,a,Positive,=SUM(A1)\n"
    )
    import_annotations(engine, f, "reviews")
    assert _items(engine)["i1"][0] == "=SUM(A1)" == _items(engine)["i2"][0]
    long = _write(tmp_path / "b.csv", f"item_id,annotator,label,text\ni3,a,Positive,{'y' * (MAX_TEXT + 1)}\n")
    with pytest.raises(InputError, match=f"line 2: text: longer than {MAX_TEXT} characters"):
        import_annotations(engine, long, "reviews")


def test_csv_header_typo_of_text_is_caught(project: str, tmp_path: Path) -> None:
    f = _write(tmp_path / "a.csv", "item_id,annotator,label,txet\ni1,a,Positive,x\n")
    out = run_cli(project, "import", "annotations", str(f), "--project", "reviews")
    assert out.exit_code == 2 and "unknown column 'txet' (did you mean 'text'?)" in out.output


def test_label_studio_export_keeps_task_data_and_derives_text(project: str, engine: Engine) -> None:
    out = run_cli(project, "import", "annotations", str(FIXTURE), "--project", "reviews")
    assert out.exit_code == 0, out.output
    tasks = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert f"items {len(tasks)}" in out.output
    got = _items(engine)
    assert set(got) == {str(t["id"]) for t in tasks}
    for t in tasks:
        text, url, data, note, source = got[str(t["id"])]
        assert data == t["data"] and text == t["data"]["text"] and source == "label-studio"
        assert url is None and note is None


def test_label_studio_task_data_over_the_caps_is_kept_with_a_note(
    project: str, engine: Engine, tmp_path: Path
) -> None:
    ann = {"id": 1, "completed_by": 3, "result": [{"from_name": "sentiment", "type": "choices",
           "value": {"choices": ["Positive"]}}], "updated_at": "2026-10-01T09:00:00Z"}  # fmt: skip
    tasks = [
        {"id": 1, "data": {"text": "z" * (MAX_TEXT + 10), "image": "https://x/" + "p" * MAX_URL}, "annotations": [ann]},
        {"id": 2, "data": {"text": "nul\x00 and \x0c"}, "annotations": []},  # an unlabeled task is kept too
        {"id": 3, "data": {"text": "nan", "score": float("nan")}},
    ]  # fmt: skip
    f = _write(tmp_path / "ls.json", json.dumps(tasks))
    assert import_annotations(engine, f, "reviews", "label-studio").items == 3
    got = _items(engine)
    text, url, data, note, _ = got["1"]
    assert text == "z" * MAX_TEXT and url is None and data is None
    assert note is not None and f"text cut to {MAX_TEXT:,} of {MAX_TEXT + 10:,} characters" in note
    assert (
        f"URL of {MAX_URL + 10:,} characters left out" in note and "task data left out: larger than" in note
    )
    assert got["2"][0] == "nul\ufffd and \ufffd" and got["2"][2] == {
        "text": "nul\x00 and \x0c"
    }  # data verbatim
    assert got["3"][:3] == ("nan", None, None) and "NaN or Infinity" in str(got["3"][3])


def test_gold_import_keeps_display_data(project: str, engine: Engine, tmp_path: Path) -> None:
    f = _write(tmp_path / "g.csv", "item_id,label,text\ng1,Positive,gold item text\n")
    assert import_gold(engine, f, "reviews").items == 1
    assert _items(engine)["g1"][0] == "gold item text"


def test_dry_run_counts_items_and_writes_none(project: str, engine: Engine, tmp_path: Path) -> None:
    f = _write(tmp_path / "a.csv", "item_id,annotator,label,text\ni1,a,Positive,t\n")
    out = run_cli(project, "import", "annotations", str(f), "--project", "reviews", "--dry-run")
    assert out.exit_code == 0 and "items 1" in out.output
    assert _items(engine) == {}


def test_get_item_returns_display_data_and_labels(project: str, engine: Engine, tmp_path: Path) -> None:
    import_annotations(
        engine,
        _write(tmp_path / "a.csv", "item_id,annotator,label,task,text\ni1,b,Negative,q,shown\ni1,a,Positive,q,shown\ni2,a,Neutral,q,\n"),
        "reviews",
    )  # fmt: skip
    import_gold(engine, _write(tmp_path / "g.csv", "item_id,label,task\ni1,Positive,q\n"), "reviews")
    with session_scope(engine) as s:
        one = get_item(s, "reviews", "i1")
        bare = get_item(s, "reviews", "i2")
        assert get_item(s, "reviews", "nope") is None
        assert get_item(s, "other", "i1") is None
        many = get_items(s, "reviews", ["i2", "nope", "i1", "i1"])
    assert one is not None and one.text == "shown" and one.url is None and one.updated_at is not None
    assert one.updated_at.tzinfo is not None
    assert one.labels == (
        ItemLabel("annotator", "q", "Positive", "a"),
        ItemLabel("annotator", "q", "Negative", "b"),
        ItemLabel("gold", "q", "Positive"),
    )
    assert (
        bare is not None
        and bare.text is None
        and bare.labels == (ItemLabel("annotator", "q", "Neutral", "a"),)
    )
    assert set(many) == {"i1", "i2"} and many["i1"] == one


def test_get_items_reads_in_chunks(project: str, engine: Engine, tmp_path: Path) -> None:
    rows = "".join(f"i{k},a,Positive,text {k}\n" for k in range(1_200))
    import_annotations(engine, _write(tmp_path / "a.csv", "item_id,annotator,label,text\n" + rows), "reviews")
    with session_scope(engine) as s:
        got = get_items(s, "reviews", [f"i{k}" for k in range(1_300)])
    assert len(got) == 1_200 and got["i1199"].text == "text 1199"


# --------------------------------------------------------------------------------------------------
# Properties: whatever the text, display fields import verbatim or the file is refused naming the field

_COUNTER = itertools.count()
_ANY_TEXT = st.text(st.characters(), max_size=40)  # every code point: controls and surrogates included
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | _ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_ANY_TEXT, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_ANY_TEXT, url=_ANY_TEXT, data=st.none() | st.dictionaries(_ANY_TEXT, _JSON, max_size=4))
def test_property_jsonl_display_fields_store_verbatim_or_refuse_naming_the_field(
    project: str, engine: Engine, tmp_path: Path, text: str, url: str, data: dict[str, object] | None
) -> None:
    item = f"p{next(_COUNTER)}"
    rec: dict[str, object] = {
        "item_id": item,
        "annotator": "a",
        "label": "Positive",
        "text": text,
        "url": url,
    }
    if data is not None:
        rec["data"] = data
    f = tmp_path / f"{item}.jsonl"
    f.write_text(json.dumps(rec) + "\n", encoding="utf-8")  # ASCII escapes: surrogates survive as \\ud800
    try:
        import_annotations(engine, f, "reviews", "jsonl")
    except InputError as exc:
        msg = exc.message
        assert msg.startswith(f"{f}: refused, 1 invalid row")
        assert any(f"line 1: {field}: " in msg for field in ("text", "url", "data")), msg
        with session_scope(engine) as s:
            assert get_item(s, "reviews", item) is None
        return
    with session_scope(engine) as s:
        got = get_item(s, "reviews", item)
    assert got is not None
    if text:
        assert got.text == text
    if url:
        assert got.url == url
    if data is not None:
        assert got.data == json.loads(json.dumps(data))  # the same JSON value (NaN never gets here)


def test_a_failing_item_write_rolls_back_the_annotations(
    project: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr("bot.imports.load.upsert_items", broken)
    before = row_counts(engine)
    with pytest.raises(RuntimeError, match="disk full"):
        import_annotations(
            engine, _write(tmp_path / "a.csv", "item_id,annotator,label,text\ni1,a,Positive,t\n"), "reviews"
        )
    assert row_counts(engine) == before


def test_display_rows_spill_to_disk_past_the_limit_and_the_last_row_still_wins(
    project: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.imports.item_sink.SPILL_BYTES", 2_000)  # a spill every ~8 rows
    rows = [f"i{k},a,Positive,text {k} {'w' * 20}\n" for k in range(100)]
    rows += ["i3,b,Negative,i3 again\n", "i97,b,Negative,i97 again\n"]
    f = _write(tmp_path / "a.csv", "item_id,annotator,label,text\n" + "".join(rows))
    summary = import_annotations(engine, f, "reviews")
    got = _items(engine)
    assert len(got) == 100 and summary.items >= 100  # an item set in two spilled batches counts twice
    assert (
        got["i3"][0] == "i3 again" and got["i97"][0] == "i97 again" and got["i50"][0].startswith("text 50 ")
    )


def test_item_sink_batches_keep_order_and_clear_removes_the_file() -> None:
    from bot.imports.item_sink import ItemSink
    from bot.imports.items import ItemRow

    with ItemSink(limit_bytes=500) as sink:
        assert not sink
        for k in range(10):
            sink[f"x{k % 3}"] = ItemRow(f"x{k % 3}", f"v{k}" * 50, None, None, None)
        assert sink
        flat: dict[str, str | None] = {}
        for batch in sink.batches():
            flat.update((r.item, r.text) for r in batch)
        assert flat == {"x0": "v9" * 50, "x1": "v7" * 50, "x2": "v8" * 50}
        spill = sink._file
        assert spill is not None
    assert spill.closed and not sink


def test_csv_rows_of_one_item_alternating_fast_and_general_paths_keep_the_last_text(
    project: str, engine: Engine, tmp_path: Path
) -> None:
    # The fast path skips a row repeating the display data it set last; a general-path row between
    # them (a guarded cell) must not be skipped over.
    f = _write(
        tmp_path / "a.csv",
        "item_id,annotator,label,text\ni1,a,Positive,x\ni1,b,Positive,'=z\ni1,c,Positive,x\n"
        "i2,a,Positive,y\ni2,b,Positive,'=w\n",
    )
    import_annotations(engine, f, "reviews")
    got = _items(engine)
    assert got["i1"][0] == "x" and got["i2"][0] == "=w"
