"""Publishing reads only the folder: a symbolic link leading outside it is refused, nothing stored."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.store import guidelines as store
from bot.store.db import session_scope
from guidelines.errors import GuidelineFormatError
from guidelines.parse import load_guideline
from tests.conftest import row_counts
from tests.support.guidelines import MINI_RULES, MINI_TOML, mini, run_cli

SECRET = "# Secret\n\nThe admin password is hunter2.\n"


def _outside(tmp_path: Path) -> Path:
    out = tmp_path / "outside"
    (out / "dir").mkdir(parents=True, exist_ok=True)
    (out / "secret.md").write_text(SECRET, encoding="utf-8")
    (out / "dir" / "more.md").write_text(SECRET, encoding="utf-8")
    (out / "guideline.toml").write_text(MINI_TOML.format(version="1.0.0"), encoding="utf-8")
    return out


def _md_file(folder: Path, out: Path) -> str:
    (folder / "secret.md").symlink_to(out / "secret.md")
    return "secret.md"


def _relative_md_file(folder: Path, out: Path) -> str:
    (folder / "secret.md").symlink_to(Path("..") / "outside" / "secret.md")
    return "secret.md"


def _toml(folder: Path, out: Path) -> str:
    (folder / "guideline.toml").unlink()
    (folder / "guideline.toml").symlink_to(out / "guideline.toml")
    return "guideline.toml"


def _directory(folder: Path, out: Path) -> str:
    (folder / "images").symlink_to(out / "dir", target_is_directory=True)
    return "images"


def _deep_file(folder: Path, out: Path) -> str:
    (folder / "assets" / "deep").mkdir(parents=True)
    (folder / "assets" / "deep" / "logo.png").symlink_to(out / "secret.md")
    return "assets/deep/logo.png"


def _parent_directory(folder: Path, out: Path) -> str:
    (folder / "up").symlink_to("..", target_is_directory=True)
    return "up"


def _broken(folder: Path, out: Path) -> str:
    (folder / "gone.md").symlink_to(folder / "never-written.md")
    return "gone.md"


def _chain(folder: Path, out: Path) -> str:
    # Inside at first sight, outside in the end: the link resolves through another link.
    (folder / "hop.md").symlink_to(out / "secret.md")
    (folder / "start.md").symlink_to("hop.md")
    return "hop.md"


REFUSED: dict[str, Callable[[Path, Path], str]] = {
    "markdown file": _md_file,
    "relative markdown file": _relative_md_file,
    "guideline.toml": _toml,
    "directory": _directory,
    "file at depth": _deep_file,
    "parent directory": _parent_directory,
    "broken link": _broken,
    "chain of links": _chain,
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_load_refuses_links_leading_outside(tmp_path: Path, case: str) -> None:
    out = _outside(tmp_path)
    folder = mini(tmp_path)
    name = REFUSED[case](folder, out)
    with pytest.raises(GuidelineFormatError) as err:
        load_guideline(folder)
    assert str(err.value).startswith(f"{folder / name}: "), str(err.value)


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_cli_publish_refuses_links_exit_2_nothing_stored(
    db_url: str, engine: Engine, tmp_path: Path, case: str
) -> None:
    out = _outside(tmp_path)
    good = mini(tmp_path, name="good")
    folder = mini(tmp_path, "1.1.0", MINI_RULES + "\nMore.\n")
    name = REFUSED[case](folder, out)
    before = row_counts(engine)
    # A good folder first: one refused folder refuses the whole command.
    result = run_cli(db_url, "guidelines", "publish", str(good), str(folder))
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"Error: {folder / name}: "), result.output
    assert "Traceback" not in result.output and "hunter2" not in result.output
    assert row_counts(engine) == before


def test_links_inside_the_folder_are_accepted(engine: Engine, tmp_path: Path) -> None:
    folder = mini(tmp_path)
    (folder / "src").mkdir()
    (folder / "rules.md").rename(folder / "src" / "rules.md")
    (folder / "rules.md").symlink_to(Path("src") / "rules.md")
    (folder / "same-src").symlink_to("src", target_is_directory=True)
    with session_scope(engine) as s:
        result = store.publish(s, load_guideline(folder))
    assert result.status == "published"
    with session_scope(engine) as s:
        assert store.get_version(s, "mini").files[0].text == MINI_RULES


def test_the_folder_itself_may_be_a_link(db_url: str, tmp_path: Path) -> None:
    real = mini(tmp_path)
    current = tmp_path / "current"
    current.symlink_to(real, target_is_directory=True)
    result = run_cli(db_url, "guidelines", "publish", str(current))
    assert result.exit_code == 0, result.output


def test_a_link_to_a_file_of_another_version_is_refused(db_url: str, engine: Engine, tmp_path: Path) -> None:
    # Sharing across version folders is the likely real case: v1.1.0/rules.md -> ../v1.0.0/rules.md.
    old = mini(tmp_path, name="v1.0.0")
    new = tmp_path / "v1.1.0"
    new.mkdir()
    (new / "guideline.toml").write_text(MINI_TOML.format(version="1.1.0"), encoding="utf-8")
    (new / "rules.md").symlink_to(Path("..") / old.name / "rules.md")
    before = row_counts(engine)
    result = run_cli(db_url, "guidelines", "publish", str(new))
    assert result.exit_code == 2 and f"{new / 'rules.md'}: symbolic link leads outside" in result.output
    assert row_counts(engine) == before
    assert os.path.exists(new / "rules.md")


def test_a_link_swapped_in_after_the_walk_is_refused_when_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _outside(tmp_path)
    folder = mini(tmp_path)
    (folder / "rules.md").unlink()
    (folder / "rules.md").symlink_to(out / "secret.md")
    # As if the link appeared between the walk and the read: the walk saw nothing wrong.
    monkeypatch.setattr("guidelines.parse.check_symlinks", lambda f: Path(os.path.realpath(f)))
    with pytest.raises(GuidelineFormatError, match="symbolic link leads outside"):
        load_guideline(folder)


# Where a link can stand and where it can lead, relative to the guideline folder.
PLACES = ("", "sub", "sub/deeper")
TARGETS = {
    "inside file": "notes/a.txt",
    "inside dir": "notes",
    "the folder itself": ".",
    "outside file": "../outside/secret.md",
    "outside dir": "../outside/dir",
    "parent": "..",
    "broken": "notes/missing.txt",
}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(links=st.lists(st.tuples(st.sampled_from(PLACES), st.sampled_from(sorted(TARGETS))), max_size=4))
def test_any_tree_of_links_publishes_iff_every_link_stays_inside(
    db_url: str, engine: Engine, tmp_path_factory: pytest.TempPathFactory, links: list[tuple[str, str]]
) -> None:
    root = tmp_path_factory.mktemp("tree")
    _outside(root)
    folder = mini(root)
    (folder / "notes").mkdir()
    (folder / "notes" / "a.txt").write_text("shared\n", encoding="utf-8")
    bad = set()
    for i, (place, kind) in enumerate(links):
        where = folder / place
        where.mkdir(parents=True, exist_ok=True)
        # The link holds the path from where it stands, written with ".." as a person would.
        link = where / f"link{i}"
        link.symlink_to(os.path.relpath(folder / TARGETS[kind], where))
        resolved = Path(os.path.realpath(link))
        if not (resolved.is_relative_to(folder.resolve()) and resolved.exists()):
            bad.add(str(link))
    before = row_counts(engine)
    result = run_cli(db_url, "guidelines", "publish", str(folder))
    assert "Traceback" not in result.output
    if bad:
        assert result.exit_code == 2, (links, result.output)
        named = result.output.removeprefix("Error: ").split(": ", 1)[0]
        assert named in bad, (named, bad)
        assert row_counts(engine) == before
    else:
        # The links change no content: the first good tree publishes, the next ones are "unchanged".
        assert result.exit_code == 0, (links, result.output)
