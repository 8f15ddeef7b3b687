"""`label_sections` in the metadata: parsed in label order, every mistake named with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guidelines.errors import GuidelineError
from guidelines.parse import load_guideline
from tests.support.guidelines import MINI_RULES, MINI_TOML, write_guideline

TOML = MINI_TOML.format(version="1.0.0")  # 5 lines; a [label_sections] header appended is line 7


def _load(tmp: Path, table: str, name: str = "g") -> object:
    return load_guideline(write_guideline(tmp, name, {"rules.md": MINI_RULES}, TOML + "\n" + table))


def test_declared_sections_are_kept_in_label_order(tmp_path: Path) -> None:
    doc = _load(tmp_path, '[label_sections]\nNeutral = "emoji"\n"Negative" = "#sarcasm"\n')
    assert doc.meta.label_sections == (("Negative", "sarcasm"), ("Neutral", "emoji"))  # type: ignore[attr-defined]


def test_an_inline_table_works_too(tmp_path: Path) -> None:
    toml = TOML.replace('scale = "nominal"', 'scale = "nominal"\nlabel_sections = { Negative = "sarcasm" }')
    doc = load_guideline(write_guideline(tmp_path, "g", {"rules.md": MINI_RULES}, toml))
    assert doc.meta.label_sections == (("Negative", "sarcasm"),)


@pytest.mark.parametrize(
    ("table", "line", "message"),
    [
        (
            '[label_sections]\nNeutral = "emoji"\nNegatve = "sarcasm"\n',
            9,
            '"Negatve" is not one of the labels (did you mean "Negative"?)',
        ),
        (
            '[label_sections]\nNeutral = "emoji"\nNegative = "sarcasn"\n',
            9,
            '"Negative" points at "#sarcasn", which no section of this version has (did you mean "sarcasm"?)',
        ),
        ("[label_sections]\nNegative = 3\n", 8, '"Negative" must name a section anchor as a string, got 3'),
        ('[label_sections]\nNegative = ""\n', 8, '"Negative" must name a section anchor as a string'),
        ("[label_sections]\n", 7, "expected a table of label"),
    ],
)
def test_each_mistake_names_the_file_and_line(tmp_path: Path, table: str, line: int, message: str) -> None:
    with pytest.raises(GuidelineError) as info:
        _load(tmp_path, table)
    assert f"guideline.toml:{line}: bad label_sections: " in str(info.value)
    assert message in str(info.value)


def test_front_matter_metadata_names_the_line_too(tmp_path: Path) -> None:
    front = (
        "---\nslug: fm\ntitle: Front\nversion: 1.0.0\nlabels: [Positive, Negative]\nscale: nominal\n"
        "label_sections:\n  Positive: overview\n  Negative: nowhere\n---\n"
    )
    with pytest.raises(GuidelineError) as info:
        load_guideline(write_guideline(tmp_path, "fm", {"rules.md": front + MINI_RULES}))
    assert 'rules.md:9: bad label_sections: "Negative" points at "#nowhere"' in str(info.value)


def test_the_declaration_is_content_and_absent_leaves_the_hash_as_before(tmp_path: Path) -> None:
    plain = load_guideline(write_guideline(tmp_path, "a", {"rules.md": MINI_RULES}, TOML))
    assert "label_sections" not in plain.meta.canonical()
    declared = _load(tmp_path, '[label_sections]\nNegative = "sarcasm"\n', name="b")
    assert declared.meta.canonical()["label_sections"] == {"Negative": "sarcasm"}  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.dictionaries(
        st.text(min_size=1, max_size=20) | st.sampled_from(["Positive", "Negative", "Neutral"]),
        st.text(max_size=20) | st.sampled_from(["sarcasm", "emoji", "overview", "#sarcasm"]),
        max_size=4,
    )
)
def test_property_any_table_loads_or_names_the_line(tmp_path: Path, entries: dict[str, str]) -> None:
    import json

    body = "".join(f"{json.dumps(k)} = {json.dumps(v)}\n" for k, v in entries.items())
    try:
        doc = _load(tmp_path, "[label_sections]\n" + body)
    except GuidelineError as exc:
        assert "guideline.toml:" in str(exc), str(exc)
        return
    got = dict(doc.meta.label_sections)  # type: ignore[attr-defined]
    assert set(got) <= {"Positive", "Negative", "Neutral"}
    assert set(got.values()) <= {"sarcasm", "emoji", "overview"}
