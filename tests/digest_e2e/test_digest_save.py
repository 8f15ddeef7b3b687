"""`annobot digest --save`: reports written under [reports] output_dir, and the CLI's refusals."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.digest_e2e.test_digest_timezone import _csv
from tests.support.guidelines import mini, run_cli


@pytest.fixture
def store(sqlite_template: Path, tmp_path: Path) -> str:
    """A SQLite store with an imported project (saving a file does not depend on the backend)."""
    db = tmp_path / "annobot.db"
    shutil.copy(sqlite_template, db)
    url = f"sqlite:///{db}"
    for args in (
        ("guidelines", "publish", str(mini(tmp_path))),
        ("projects", "add", "p", "--guideline", "mini"),
        ("import", "annotations", str(_csv(tmp_path)), "--project", "p"),
    ):
        result = run_cli(url, *args)
        assert result.exit_code == 0, result.output
    return url


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config file in its own folder whose output_dir is relative (resolved against that folder)."""
    folder = tmp_path / "conf"
    folder.mkdir()
    path = folder / "annobot.toml"
    path.write_text('[reports]\noutput_dir = "digests"\n', encoding="utf-8")
    return path


def _digest(url: str, config: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli(url, "--config", str(config), "digest", "--project", "p", "--all", *args)


def test_save_without_a_name_writes_a_dated_file_in_output_dir(store: str, config: Path) -> None:
    result = _digest(store, config, "--format", "html", "--save")
    assert result.exit_code == 0, result.output
    (written,) = (config.parent / "digests").iterdir()
    assert re.fullmatch(r"p-\d{4}-\d{2}-\d{2}-\d{4}\.html", written.name)
    assert result.output.strip() == f"wrote {written}"
    assert written.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


def test_save_with_a_name_keeps_markdown_charts_beside_it(store: str, config: Path) -> None:
    result = _digest(store, config, "--format", "markdown", "--save", "weekly.md")
    assert result.exit_code == 0, result.output
    out = config.parent / "digests"
    md = (out / "weekly.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert links and all(link.startswith("weekly-charts/") and (out / link).is_file() for link in links)
    as_json = _digest(store, config, "--save", "--format", "json")  # --save before another option
    assert as_json.exit_code == 0, as_json.output
    assert any(p.name.endswith(".json") for p in out.iterdir())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--save", "sub/x.html"), "--save takes a bare file name"),
        (("--save", ".."), "--save takes a bare file name"),
        (("--out", "x.html", "--save"), "--out and --save exclude each other"),
    ],
)
def test_refusals(store: str, config: Path, args: tuple[str, ...], message: str) -> None:
    result = _digest(store, config, *args)
    assert result.exit_code == 2 and message in result.output
    assert not (config.parent / "digests").exists()


def test_an_empty_window_suggests_all(store: str) -> None:
    result = run_cli(store, "digest", "--project", "p", "--since", "2999-01-01")
    assert result.exit_code == 2
    assert "project 'p' has no annotations in the window; try --all" in result.output


def test_a_bad_timezone_stops_the_command(store: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[reports]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    result = run_cli(store, "--config", str(bad), "digest", "--project", "p", "--all")
    assert result.exit_code == 2
    assert (
        "'reports.timezone' must be an IANA time zone name" in result.output
        and "Mars/Olympus" in result.output
    )
