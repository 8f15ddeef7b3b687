"""`leads`, `managers` and `flag_reasons` in [[projects]]: parsed, defaulted, refused with the key named."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import load_config
from bot.errors import ConfigError
from reports.flags.taxonomy import DEFAULT_FLAG_REASONS, FlagReason, reason_problem, reason_weight

ROOT = Path(__file__).resolve().parents[2]


def _load(tmp_path: Path, project_lines: str) -> object:
    path = tmp_path / "annobot.toml"
    path.write_text(f'[[projects]]\nname = "p"\nguideline = "g"\n{project_lines}\n', encoding="utf-8")
    return load_config(path, env={})


def _error(tmp_path: Path, project_lines: str) -> str:
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, project_lines)
    return exc.value.message


def test_roles_and_taxonomy_default_when_absent(tmp_path: Path) -> None:
    [project] = _load(tmp_path, "").projects
    assert project.leads == () and project.managers == ()
    assert project.flag_reasons == DEFAULT_FLAG_REASONS


def test_user_and_group_ids_are_kept_in_order_without_repeats(tmp_path: Path) -> None:
    [project] = _load(tmp_path, 'leads = ["U0123ABC", "S0456DEF", "U0123ABC"]\nmanagers = ["W0789"]').projects
    assert project.leads == ("U0123ABC", "S0456DEF")
    assert project.managers == ("W0789",)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ('leads = "U0123"', "'projects[0].leads' must be list, got str"),
        ('managers = ["U0123", "@alice"]', "'projects[0].managers[1]' must be a Slack user id (U… or W…)"),
        ("leads = [42]", "'projects[0].leads[0]' must be a Slack user id"),
        ('leads = ["u0123"]', "'projects[0].leads[0]'"),  # ids are upper case
        ('leads = ["C0123"]', "'projects[0].leads[0]'"),  # a channel is no one
        ('leads = ["U0123 "]', "'projects[0].leads[0]'"),
        ("flag_reasons = []", "'projects[0].flag_reasons' must list at least one reason"),
        ('flag_reasons = "x"', "'projects[0].flag_reasons' must be list"),
        ('flag_reasons = ["x"]', "'projects[0].flag_reasons[0]' must be dict"),
        ('flag_reasons = [{label = "X"}]', "'projects[0].flag_reasons[0]' lacks 'id'"),
        ('flag_reasons = [{id = "x"}]', "'projects[0].flag_reasons[0]' lacks 'label'"),
        ('flag_reasons = [{id = "x", label = "X", colour = "red"}]', "unknown key 'flag_reasons.colour'"),
        ('flag_reasons = [{id = "Bad Id", label = "X"}]', "'projects[0].flag_reasons[0].id' must be a lower"),
        (
            'flag_reasons = [{id = "a", label = "A"}, {id = "a", label = "B"}]',
            "'projects[0].flag_reasons[1].id' 'a' appears twice",
        ),
        ('flag_reasons = [{id = "a", label = " "}]', "'projects[0].flag_reasons[0].label' must be 1-75"),
        (f'flag_reasons = [{{id = "a", label = "{"x" * 76}"}}]', "'projects[0].flag_reasons[0].label'"),
        ('flag_reasons = [{id = "a", label = "A", weight = -1}]', "'projects[0].flag_reasons[0].weight'"),
        ('flag_reasons = [{id = "a", label = "A", weight = nan}]', "'projects[0].flag_reasons[0].weight'"),
        ('flag_reasons = [{id = "a", label = "A", weight = inf}]', "'projects[0].flag_reasons[0].weight'"),
        ('flag_reasons = [{id = "a", label = "A", weight = "3"}]', "'projects[0].flag_reasons[0].weight'"),
        ('flag_reasons = [{id = "a", label = "A", weight = true}]', "'projects[0].flag_reasons[0].weight'"),
        ("bosses = []", "unknown key 'projects.bosses'"),
    ],
)
def test_bad_values_are_refused_naming_the_key(tmp_path: Path, lines: str, expected: str) -> None:
    message = _error(tmp_path, lines)
    assert expected in message
    assert message.startswith(str(tmp_path / "annobot.toml"))


def test_flag_reasons_is_no_top_level_table(tmp_path: Path) -> None:
    path = tmp_path / "annobot.toml"
    path.write_text('[flag_reasons]\nid = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown table 'flag_reasons'"):
        load_config(path, env={})


def test_a_custom_taxonomy_replaces_the_default(tmp_path: Path) -> None:
    lines = 'flag_reasons = [{id = "ocr_error", label = "OCR error", weight = 0}, {id = "other", label = "Other"}]'
    [project] = _load(tmp_path, lines).projects
    assert project.flag_reasons == (
        FlagReason("ocr_error", "OCR error", 0.0),
        FlagReason("other", "Other", 1.0),
    )


def test_default_taxonomy_ids_and_weight_order() -> None:
    ids = [r.id for r in DEFAULT_FLAG_REASONS]
    # Other helpers store and look up these ids: they are a contract.
    assert ids == [
        "guideline_unclear",
        "guideline_missing_case",
        "guideline_contradiction",
        "label_confusion",
        "span_boundary",
        "data_quality",
        "tool_problem",
        "other",
    ]
    weight = {r.id: r.weight for r in DEFAULT_FLAG_REASONS}
    guideline = [w for i, w in weight.items() if i.startswith("guideline_")]
    rest = [w for i, w in weight.items() if not i.startswith("guideline_")]
    assert min(guideline) > max(rest)
    assert max(weight["tool_problem"], weight["data_quality"]) < min(
        w for i, w in weight.items() if i not in ("tool_problem", "data_quality")
    )
    assert reason_weight(DEFAULT_FLAG_REASONS, "guideline_unclear") == 3.0
    assert reason_weight(DEFAULT_FLAG_REASONS, "since_removed") == 1.0


def test_the_example_config_documents_the_default_taxonomy(tmp_path: Path) -> None:
    # Uncomment the example [[projects]] table: its flag_reasons must be exactly the built-in default.
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    example = text[text.index("# [[projects]]") :]
    lines = [ln[2:] for ln in example.splitlines() if ln.startswith("# ") and not ln.startswith("# #")]
    path = tmp_path / "example.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [project] = load_config(path, env={}).projects
    assert project.flag_reasons == DEFAULT_FLAG_REASONS
    assert all(re.fullmatch(r"[US][0-9A-Z]+", e) for e in (*project.leads, *project.managers))
    assert project.leads and project.managers


def _toml_list(values: list[str]) -> str:
    """A TOML array of basic strings, every character outside printable ASCII as a \\U escape."""

    def one(value: str) -> str:
        body = "".join(c if " " <= c <= "~" and c not in '"\\' else f"\\U{ord(c):08X}" for c in value)
        return f'"{body}"'

    return "[" + ", ".join(one(v) for v in values) + "]"


# Text a TOML string can hold: any Unicode scalar value, so no lone surrogates.
toml_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)


@settings(max_examples=60, deadline=None)
@given(leads=st.lists(st.one_of(toml_text, st.from_regex(r"[UWS][A-Z0-9]{2,9}", fullmatch=True)), max_size=5))
def test_any_role_list_loads_only_slack_ids_or_fails_with_the_key(leads: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "annobot.toml"
        path.write_text(f'[[projects]]\nname = "p"\nguideline = "g"\nleads = {_toml_list(leads)}\n', "utf-8")
        try:
            [project] = load_config(path, env={}).projects
        except ConfigError as exc:
            assert "'projects[0].leads[" in exc.message
            return
    assert all(re.fullmatch(r"[UWS][A-Z0-9]{2,30}", e) for e in project.leads)
    assert set(project.leads) == set(leads)


reasons = st.lists(
    st.builds(
        FlagReason,
        id=st.one_of(toml_text, st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)),
        label=st.text(max_size=80),
        weight=st.floats(allow_nan=True, allow_infinity=True),
    ),
    max_size=6,
)


@given(reasons)
def test_reason_problem_accepts_only_usable_taxonomies(candidate: list[FlagReason]) -> None:
    problem = reason_problem(candidate)
    usable = (
        0 < len(candidate) <= 100
        and len({r.id for r in candidate}) == len(candidate)
        and all(re.fullmatch(r"[a-z][a-z0-9_]{0,39}", r.id) for r in candidate)
        and all(r.label.strip() and len(r.label) <= 75 for r in candidate)
        and all(0 <= r.weight < float("inf") for r in candidate)
    )
    assert (problem is None) == usable
