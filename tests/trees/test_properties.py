"""Arbitrary text in every field of a tree file, through the real CLI: exit 0, or exit 2 with only
`FILE:LINE: message` lines and nothing stored; never a traceback."""

from __future__ import annotations

import itertools
import json
import re

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.store import trees as tree_store
from bot.store.db import session_scope
from guidelines.parse import load_guideline
from tests.conftest import row_counts
from tests.support.guidelines import run_cli
from tests.trees.treedata import VALID, write_version

# (text in VALID, how the field is written with a value in its place)
FIELDS = [
    ("id: sarcasm", "id: {}"),
    ("title: Sarcastic?", "title: {}"),
    ("description: Is the praise meant?", "description: {}"),
    ("start: q1", "start: {}"),
    ("  q2:\n", "  {}:\n"),
    ("text: Is there any judgment of the product?", "text: {}"),
    ("help: An emoji alone decides nothing.", "help: {}"),
    ("anchors: [sarcasm]", "anchors: [{}]"),
    ("text: Praise", "text: {}"),
    ("next: pos", "next: {}"),
    ("label: Negative", "label: {}"),
    ("rationale: No judgment.", "rationale: {}"),
    ("anchor: emoji", "anchor: {}"),
]
MODES = ("raw", "double", "single")
LINE = re.compile(r"^\S.*:\d+: \S")
_versions = itertools.count(1)


def _written(value: str, mode: str) -> str:
    if mode == "double":
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar
    if mode == "single":
        return "'" + value.replace("'", "''") + "'"
    return value


edits = st.lists(
    st.tuples(st.sampled_from(range(len(FIELDS))), st.sampled_from(MODES), st.text(max_size=80)),
    min_size=1,
    max_size=3,
)


# Free-text fields written quoted with printable text: mostly valid, so round trips get checked too.
TEXT_FIELDS = [1, 2, 5, 6, 8, 11]
text_edits = st.lists(
    st.tuples(
        st.sampled_from(TEXT_FIELDS),
        st.just("double"),
        st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=200),
    ),
    min_size=1,
    max_size=3,
)


def _tree_text(changes: list[tuple[int, str, str]]) -> str:
    text = VALID
    for index, mode, value in changes:
        old, template = FIELDS[index]
        text = text.replace(old, template.format(_written(value, mode)), 1)
    return text


def _only_located_errors(output: str) -> bool:
    lines = output.replace("Error: ", "", 1).splitlines()
    return bool(lines) and all(LINE.match(line) for line in lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=edits)
def test_trees_check_never_crashes(tmp_path_factory, changes: list[tuple[int, str, str]]) -> None:
    folder = write_version(tmp_path_factory.mktemp("p"), {"t.yaml": _tree_text(changes)})
    result = run_cli("sqlite:///unused-never-opened.db", "trees", "check", str(folder))
    assert result.exit_code in (0, 2), result.output
    event(f"exit {result.exit_code}")
    if result.exit_code == 0:
        assert result.output == f"ok: 1 tree in {folder}\n"
    else:
        assert _only_located_errors(result.output), result.output


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.one_of(edits, text_edits))
def test_publish_stores_all_or_nothing(engine: Engine, db_url: str, tmp_path_factory, changes) -> None:
    version = f"1.0.{next(_versions)}"
    folder = write_version(tmp_path_factory.mktemp("p"), {"t.yaml": _tree_text(changes)}, version=version)
    before = row_counts(engine)
    result = run_cli(db_url, "guidelines", "publish", str(folder))
    assert result.exit_code in (0, 2), result.output
    event(f"exit {result.exit_code}")
    if result.exit_code == 2:
        assert _only_located_errors(result.output), result.output
        assert row_counts(engine) == before
        return
    (tree,) = load_guideline(folder).trees
    with session_scope(engine) as session:
        assert tree_store.get_tree(session, "mini", tree.id, version) == tree
