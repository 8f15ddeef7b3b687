"""Issue 10 item 8 as a property, on both backends: whatever the text, `export annotations --format csv`
(or jsonl) then `import annotations` reproduces every row and every item's text and URL exactly, and no
exported CSV cell starts as a formula."""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from bot.store.db import session_scope
from bot.store.models.annotations import Annotation
from bot.store.models.items import Item
from tests.support.guidelines import run_cli, write_guideline

# Labels a spreadsheet would run, or that look guarded already: the guard must be exact for them too.
LABELS = ["Positive", "=SUM(A1:A9)", "+1", "-x", "@home", "'=quoted", "''+twice", "'plain", "-1"]
TOML = 'slug = "risky"\ntitle = "Risky"\nversion = "1.0.0"\nlabels = {labels}\nscale = "nominal"\n'

# Text as users paste it: anything but surrogates and the C0 controls the import refuses (tab, LF
# and CR are allowed and must survive), with formula triggers and quotes made frequent.
_CHAR = st.one_of(
    st.characters(blacklist_categories=("Cs",)).filter(lambda c: not ("\x00" <= c < " ") or c in "\t\n\r"),
    st.sampled_from("=+-@'\t\r\n\",;|"),
)


def _text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text(_CHAR, min_size=min_size, max_size=max_size)


_ROW = st.fixed_dictionaries(
    {
        "item_id": _text(1, 12),
        "annotator": _text(1, 12),
        "task": _text(1, 12),
        "label": st.sampled_from(LABELS),
        "cohort": _text(0, 8),
        "external_id": _text(0, 8),
        "text": _text(0, 40),
        "url": st.one_of(st.just(""), _text(1, 20).map(lambda t: "https://x.test/" + t)),
    }
)
_COUNTER = itertools.count()
_COLUMNS = (
    Annotation.task,
    Annotation.item,
    Annotation.annotator,
    Annotation.span_key,
    Annotation.label,
    Annotation.cohort,
    Annotation.external_id,
    Annotation.created_at,
    Annotation.duration_s,
)


def _items(engine: Engine, project: str) -> list[tuple[object, ...]]:
    with session_scope(engine) as s:
        found = s.execute(
            select(Item.item, Item.text, Item.url).where(Item.project == project).order_by(Item.item)
        )
        return [tuple(r) for r in found]


def _rows(engine: Engine, project: str) -> list[tuple[object, ...]]:
    with session_scope(engine) as s:
        return [
            tuple(r)
            for r in s.execute(
                select(*_COLUMNS).where(Annotation.project == project).order_by(*_COLUMNS[:4])
            ).all()
        ]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        _ROW, min_size=1, max_size=6, unique_by=lambda r: (r["task"], r["item_id"], r["annotator"])
    ),
    fmt=st.sampled_from(["csv", "jsonl"]),
)
def test_property_export_then_import_reproduces_every_row(
    db_url: str, engine: Engine, tmp_path: Path, rows: list[dict[str, str]], fmt: str
) -> None:
    n = next(_COUNTER)
    if not _published(engine):
        folder = write_guideline(tmp_path, "risky", {"rules.md": "# Rules\n\nAnything.\n"},
                                 TOML.format(labels=json.dumps(LABELS)))  # fmt: skip
        out = run_cli(db_url, "guidelines", "publish", str(folder))
        assert out.exit_code == 0, out.output
    source, copy = f"src{n}", f"copy{n}"
    for name in (source, copy):
        out = run_cli(db_url, "projects", "add", name, "--guideline", "risky")
        assert out.exit_code == 0, out.output
    given_file = tmp_path / f"in{n}.jsonl"
    given_file.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = run_cli(db_url, "import", "annotations", str(given_file), "--project", source)
    assert out.exit_code == 0, out.output

    exported = tmp_path / f"out{n}.{fmt}"
    out = run_cli(
        db_url, "export", "annotations", "--project", source, "--format", fmt, "--out", str(exported)
    )
    assert out.exit_code == 0, out.output
    raw = exported.read_bytes().decode("utf-8")
    for record in csv.reader(io.StringIO(raw, newline="")) if fmt == "csv" else ():
        for cell in record:  # nothing a spreadsheet would run, unless it is a plain number
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r") or cell.lstrip("-").isdigit(), cell
    out = run_cli(db_url, "import", "annotations", str(exported), "--project", copy)
    assert out.exit_code == 0, out.output
    assert _rows(engine, copy) == _rows(engine, source)
    assert len(_rows(engine, source)) == len(rows)
    assert _items(engine, copy) == _items(engine, source)
    assert _items(engine, source) or not any(r["text"] or r["url"] for r in rows)


def _published(engine: Engine) -> bool:
    """Whether guideline 'risky' is already in this database (the fixture database is per test)."""
    from bot.store.models.guidelines import Guideline

    with session_scope(engine) as s:
        return s.execute(select(Guideline.slug).where(Guideline.slug == "risky")).first() is not None
