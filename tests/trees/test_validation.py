"""Each validation error of a decision tree: message, file and line; publish refuses and stores nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from guidelines.errors import TreeErrors
from guidelines.parse import load_guideline, parse_guideline_text
from guidelines.trees.model import Leaf, Question
from tests.conftest import row_counts
from tests.support.guidelines import MINI_RULES, MINI_TOML, mini, run_cli
from tests.trees.treedata import BROKEN, VALID, Broken, chain_tree, wide_tree, write_version


def _expected(folder: Path, case: Broken) -> str:
    shown = f"{folder}/trees/{case.file_name}"
    return f"{shown}:{case.line}: " if case.line else f"{shown}: "


def _reported(output: str, folder: Path, case: Broken) -> bool:
    """True when one line of the output names the case's file and line and holds its message."""
    prefix = _expected(folder, case)
    return any(
        line.removeprefix("Error: ").startswith(prefix) and case.message in line
        for line in output.splitlines()
    )


def _write(tmp_path: Path, case: Broken) -> Path:
    text = case.edit(VALID)
    return write_version(tmp_path, {case.file_name: text})


def test_the_valid_tree_loads_with_lines(tmp_path: Path) -> None:
    doc = load_guideline(write_version(tmp_path, {"t.yaml": VALID}))
    (tree,) = doc.trees
    assert (tree.id, tree.title, tree.description, tree.start, tree.file) == (
        "sarcasm",
        "Sarcastic?",
        "Is the praise meant?",
        "q1",
        "trees/t.yaml",
    )
    assert (tree.slug, tree.version) == ("mini", "1.0.0")
    q1 = tree.node("q1")
    assert isinstance(q1, Question) and q1.line == 6 and q1.anchors == ("sarcasm",)
    assert [(o.text, o.next, o.line) for o in q1.options] == [("Yes", "neg", 10), ("No", "q2", 12)]
    neu = tree.node("neu")
    assert neu == Leaf(id="neu", label="Neutral", rationale="No judgment.", anchor="emoji", line=30)
    assert [n.id for n in tree.follow((1, 1))] == ["q1", "q2", "neu"]
    assert [f.path for f in doc.tree_files] == ["trees/t.yaml"]


@pytest.mark.parametrize("case", BROKEN, ids=lambda c: c.name)
def test_each_error_names_file_line_and_problem(tmp_path: Path, case: Broken) -> None:
    folder = _write(tmp_path, case)
    with pytest.raises(TreeErrors) as info:
        load_guideline(folder)
    lines = str(info.value).split("\n")
    prefix = _expected(folder, case)
    assert any(line.startswith(prefix) and case.message in line for line in lines), (
        prefix,
        case.message,
        lines,
    )
    assert all(e.file and e.file.startswith(f"{folder}/trees/") for e in info.value.errors)


@pytest.mark.parametrize("case", BROKEN, ids=lambda c: c.name)
def test_publish_and_check_refuse_each_broken_tree_and_store_nothing(
    engine: Engine, db_url: str, tmp_path: Path, case: Broken
) -> None:
    folder = _write(tmp_path, case)
    before = row_counts(engine)
    result = run_cli(db_url, "guidelines", "publish", str(folder))
    assert result.exit_code == 2, result.output
    assert _reported(result.output, folder, case), result.output
    assert "Traceback" not in result.output
    assert row_counts(engine) == before
    checked = run_cli(db_url, "trees", "check", str(folder))
    assert checked.exit_code == 2
    assert _reported(checked.output, folder, case), checked.output


def test_every_error_of_a_publish_is_reported(engine: Engine, db_url: str, tmp_path: Path) -> None:
    # Two broken files in one version, one in another guideline folder, and a valid third folder.
    one = write_version(
        tmp_path,
        {
            "a.yaml": VALID.replace("next: neu", "next: nowhere").replace("label: Negative", "label: Bad"),
            "b.yaml": VALID.replace("title: Sarcastic?", "title: B"),  # same tree id as a.yaml
        },
        name="one",
    )
    two = write_version(tmp_path, {"c.yaml": VALID.replace("anchor: emoji", "anchor: nope")}, "1.1.0", "two")
    good = write_version(tmp_path, {"d.yaml": VALID}, "1.2.0", "good")
    before = row_counts(engine)
    result = run_cli(db_url, "guidelines", "publish", str(one), str(two), str(good))
    assert result.exit_code == 2
    expected = [
        f"{one}/trees/a.yaml:21: " + 'node "q2": next "nowhere" is not a node of this tree',
        f"{one}/trees/a.yaml:23: " + 'node "neg": label "Bad" is not a label of this guideline',
        f"{one}/trees/a.yaml:30: " + 'node "neu" is unreachable from start "q1"',
        f"{one}/trees/b.yaml:1: " + f'duplicate tree id "sarcasm" (first in {one}/trees/a.yaml:1)',
        f"{two}/trees/c.yaml:33: " + 'node "neu": no section of this version has anchor "nope"',
    ]
    out = result.output.replace("Error: ", "", 1).splitlines()
    assert len(out) == len(expected), out
    assert all(line.startswith(want) for line, want in zip(out, expected, strict=True)), out
    assert row_counts(engine) == before


def test_errors_are_in_line_order_within_a_file(tmp_path: Path) -> None:
    text = VALID.replace("label: Negative", "label: Bad").replace("title: Sarcastic?", "title:")
    with pytest.raises(TreeErrors) as info:
        load_guideline(write_version(tmp_path, {"t.yaml": text}))
    assert [line for _, line, _ in info.value.problems] == [2, 23]


def test_a_version_without_trees_keeps_its_hash_and_trees_change_it() -> None:
    files = {"rules.md": MINI_RULES}
    toml = MINI_TOML.format(version="1.0.0")
    plain = parse_guideline_text(files, toml)
    assert plain.trees == () and plain.tree_files == ()
    # The hash of a version without trees is what it was before trees existed: pinned here.
    import hashlib
    import json

    payload = {"meta": plain.meta.canonical(), "files": [[f.path, f.text] for f in plain.files]}
    old = hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    assert plain.content_hash() == old
    with_tree = parse_guideline_text(files, toml, trees={"t.yaml": VALID})
    assert with_tree.content_hash() != old
    changed = parse_guideline_text(files, toml, trees={"t.yaml": VALID + "# a comment\n"})
    assert changed.content_hash() != with_tree.content_hash()
    crlf = parse_guideline_text(files, toml, trees={"t.yaml": VALID.replace("\n", "\r\n")})
    assert crlf.content_hash() == with_tree.content_hash()


def test_dot_files_and_other_files_in_trees_are_skipped(tmp_path: Path) -> None:
    folder = write_version(tmp_path, {"t.yaml": VALID, ".#t.yaml": "broken: [", "notes.txt": "x"})
    assert [t.id for t in load_guideline(folder).trees] == ["sarcasm"]


def test_a_tree_file_linked_outside_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(VALID, encoding="utf-8")
    folder = write_version(tmp_path, {})
    (folder / "trees" / "t.yaml").symlink_to(outside)
    with pytest.raises(Exception, match="symbolic link leads outside the guideline folder"):
        load_guideline(folder)


def test_guideline_errors_come_first_and_alone(tmp_path: Path) -> None:
    folder = mini(tmp_path, rules="# Overview\n\nSee [x](#missing).\n")
    (folder / "trees").mkdir()
    (folder / "trees" / "t.yaml").write_text("id: [", encoding="utf-8")
    with pytest.raises(Exception, match="dangling anchor link"):
        load_guideline(folder)


def test_limits_just_inside_are_accepted(tmp_path: Path) -> None:
    ok = chain_tree(25)
    assert len(load_guideline(write_version(tmp_path, {"deep.yaml": ok}, name="a")).trees[0].nodes) == 26
    # 1 + 7 + 49 + 343 = 400 nodes of 7 options each level, depth 3: every question at the maximum.
    wide = wide_tree(7, 3)
    assert len(load_guideline(write_version(tmp_path, {"w.yaml": wide}, name="b")).trees[0].nodes) == 400


def test_a_500_node_tree_with_long_chains_checks_without_recursion(tmp_path: Path) -> None:
    # 499 questions in a chain would be too deep, but the walks must not hit the recursion limit.
    with pytest.raises(TreeErrors, match="too deep: a walk can ask 499 questions"):
        load_guideline(write_version(tmp_path, {"deep.yaml": chain_tree(499)}))


def test_a_big_cycle_is_named_in_order(tmp_path: Path) -> None:
    text = (
        chain_tree(30)
        .replace("next: q31", "next: q1")
        .replace("{text: Go on, next: end}", "{text: Go on, next: q1}")
    )
    with pytest.raises(TreeErrors) as info:
        load_guideline(write_version(tmp_path, {"c.yaml": text}))
    (cycle,) = [e for e in info.value.errors if "cycle" in e.message]
    assert cycle.message.startswith("cycle: " + " → ".join(f"q{i}" for i in range(1, 31)) + " → q1")


def test_pure_python_parser_gives_the_same_trees_and_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from guidelines.trees import load

    folders = sorted(Path(__file__).resolve().parents[2].glob("examples/guidelines/*/v*"))
    fast = [load_guideline(f).trees for f in folders]
    monkeypatch.setattr(load, "_Parser", yaml.SafeLoader)
    assert [load_guideline(f).trees for f in folders] == fast
    bad = VALID.replace("No judgment.", "No judgment.\ufffe")  # refused by the YAML reader (line 32)
    with pytest.raises(TreeErrors, match=r"t\.yaml:32: malformed YAML: character U\+FFFE"):
        load_guideline(write_version(tmp_path, {"t.yaml": bad}))
    monkeypatch.undo()
    with pytest.raises(TreeErrors, match=r"t\.yaml:32: malformed YAML: character U\+FFFE"):
        load_guideline(
            write_version(tmp_path, {"t.yaml": bad.replace("Sarcastic?", "Sarcastic é?")}, name="b")
        )


def test_deep_nesting_and_several_documents_are_syntax_errors(tmp_path: Path) -> None:
    with pytest.raises(TreeErrors, match="malformed YAML"):
        load_guideline(write_version(tmp_path, {"t.yaml": "id: " + "[" * 50000 + "]" * 50000}, name="a"))
    with pytest.raises(TreeErrors, match=r"t\.yaml:34: malformed YAML: a tree file holds one YAML document"):
        load_guideline(write_version(tmp_path, {"t.yaml": VALID + "---\nid: x\n"}, name="b"))
