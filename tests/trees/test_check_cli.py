"""`annobot trees check`: every example passes, each broken folder exits 2, no database needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from tests.conftest import EXAMPLES
from tests.trees.treedata import VALID, write_version


def _check(*args: str, db: Path | None = None):
    env = {"ANNOBOT_CONFIG": None, "ANNOBOT_DATABASE_URL": f"sqlite:///{db}" if db else None}
    return CliRunner().invoke(cli, ["trees", "check", *args], env=env, catch_exceptions=False)


@pytest.mark.parametrize("folder", sorted(EXAMPLES.glob("*/v*")), ids=lambda p: f"{p.parent.name}@{p.name}")
def test_every_example_version_passes(folder: Path, tmp_path: Path) -> None:
    result = _check(str(folder), db=tmp_path / "unused.db")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ") and f" in {folder}" in result.output
    assert not (tmp_path / "unused.db").exists()  # no database is opened


def test_a_guideline_folder_checks_each_version(tmp_path: Path) -> None:
    result = _check(str(EXAMPLES / "product-sentiment"))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"ok: 2 trees in {EXAMPLES / 'product-sentiment' / 'v1.0.0'}",
        f"ok: 2 trees in {EXAMPLES / 'product-sentiment' / 'v1.1.0'}",
    ]


def test_every_example_tree_is_substantial() -> None:
    from guidelines.parse import load_guideline

    for folder in sorted(EXAMPLES.glob("*/v*")):
        trees = load_guideline(folder).trees
        assert trees, folder
        assert all(len(t.nodes) >= 8 for t in trees), folder


def test_good_folders_are_listed_and_bad_ones_fail_the_run(tmp_path: Path) -> None:
    good = write_version(tmp_path, {"t.yaml": VALID}, name="good")
    bad = write_version(tmp_path, {"t.yaml": VALID.replace("next: neu", "next: gone")}, name="bad")
    result = _check(str(good), str(bad))
    assert result.exit_code == 2
    assert f"ok: 1 tree in {good}" in result.output
    assert f"{bad}/trees/t.yaml:21: " in result.output


def test_a_folder_with_no_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    result = _check(str(tmp_path / "empty"))
    assert result.exit_code == 2
    assert "not a guideline version folder" in result.output


def test_a_version_without_trees_is_ok(tmp_path: Path) -> None:
    from tests.support.guidelines import mini

    result = _check(str(mini(tmp_path)))
    assert result.exit_code == 0 and "ok: 0 trees in" in result.output


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(cli, ["trees", "check", "--help"])
    assert result.exit_code == 0 and "Example: annobot trees check" in result.output


def test_the_format_doc_tree_example_is_valid() -> None:
    import re

    from guidelines.parse import parse_guideline_text
    from tests.support.guidelines import MINI_TOML

    doc = (Path(__file__).resolve().parents[2] / "docs" / "guidelines-format.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Decision trees") :]
    example = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    rules = "# Overview\n\nx\n\n## Sarcasm {#sarcasm}\n\ny\n\n## Positive\n\nz\n"
    parsed = parse_guideline_text(
        {"rules.md": rules}, MINI_TOML.format(version="1.0.0"), trees={"s.yaml": example}
    )
    assert [t.id for t in parsed.trees] == ["sarcasm"]
