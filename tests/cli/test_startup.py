"""Start-up: `annobot --help`, `guidelines …` and `console --help` import only what they use.

Module sets, not timings (timings are bench/startup.py and BENCHMARKS.md): each command runs in a
fresh interpreter, which prints the top-level packages it imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from bot.cli import COMMANDS, cli
from bot.cli.lazy import LazyCommands
from bot.store.search import MAX_LIMIT
from tests.support.guidelines import mini, run_cli

HEAVY = {"pandas", "numpy", "matplotlib", "jinja2", "slack_bolt", "slack_sdk", "pyarrow", "alembic"}
# Run a command in-process in a fresh interpreter, then list the top-level packages it loaded.
PROBE = """
import json, sys
from bot.cli import cli
try:
    cli(sys.argv[1:], prog_name="annobot")
except SystemExit:
    pass
print("\\nMODULES " + json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _modules(db_url: str, *args: str) -> set[str]:
    env = {**os.environ, "ANNOBOT_DATABASE_URL": db_url}
    env.pop("ANNOBOT_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    assert "Traceback" not in done.stderr, done.stderr
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("MODULES "))
    return set(json.loads(line.removeprefix("MODULES ")))


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("guidelines", "--help"),
        ("guidelines", "list"),
        ("guidelines", "list", "--json"),
        ("guidelines", "show", "mini"),
        ("guidelines", "diff", "mini", "1.0.0", "1.0.0"),
        ("guidelines", "search", "sarcasm"),
        ("console", "--help"),
    ],
    ids=" ".join,
)
def test_light_commands_import_no_heavy_package(db_url: str, tmp_path: Path, args: tuple[str, ...]) -> None:
    assert run_cli(db_url, "guidelines", "publish", str(mini(tmp_path))).exit_code == 0
    loaded = _modules(db_url, *args)
    assert "bot" in loaded  # the probe ran the CLI
    assert not loaded & HEAVY, sorted(loaded & HEAVY)


def test_help_imports_neither_sqlalchemy_nor_rich(tmp_path: Path) -> None:
    loaded = _modules(f"sqlite:///{tmp_path / 'unused.db'}", "--help")
    assert not loaded & {"sqlalchemy", "rich", "markdown_it", "yaml"}, loaded
    assert not (tmp_path / "unused.db").exists()


def test_the_probe_sees_heavy_imports(db_url: str, tmp_path: Path) -> None:
    # The digest really needs pandas: if this failed, the tests above would prove nothing.
    out = tmp_path / "d.json"
    assert "pandas" in _modules(
        db_url, "digest", "--project", "p", "--all", "--format", "json", "--out", str(out)
    )


def test_digest_help_imports_no_heavy_package(db_url: str) -> None:
    assert not _modules(db_url, "digest", "--help") & HEAVY


def test_digest_formats_match_the_job() -> None:
    from bot.cli.digest_cmd import FORMATS as CLI_FORMATS
    from bot.jobs.digest import FORMATS as JOB_FORMATS

    assert CLI_FORMATS == JOB_FORMATS


def test_stored_help_lines_match_the_commands() -> None:
    for name, lazy in COMMANDS.items():
        command = lazy.load()
        assert command.name == name
        assert command.get_short_help_str(1000) == lazy.short_help, name


def test_top_level_help_is_the_same_lazy_or_loaded() -> None:
    lazy_help = CliRunner().invoke(cli, ["--help"], terminal_width=60).output
    loaded = click.Group(name="cli", commands={name: c.load() for name, c in COMMANDS.items()})
    loaded.params = cli.params
    loaded.help = cli.help
    loaded.context_settings = cli.context_settings
    assert lazy_help == CliRunner().invoke(loaded, ["--help"], terminal_width=60, prog_name="cli").output


def test_commands_mapping_loads_on_lookup_only() -> None:
    commands = LazyCommands(dict(COMMANDS))
    assert sorted(commands) == sorted(COMMANDS) and len(commands) == len(COMMANDS)
    assert commands.loaded == {}
    assert commands["db"].name == "db" and list(commands.loaded) == ["db"]
    assert commands.short_help("db", 80) is None and commands.short_help("run", 80)
    del commands["run"]
    assert "run" not in commands and "run" not in list(commands)
    with pytest.raises(KeyError):
        commands["nope"]


def test_search_limit_matches_the_store() -> None:
    from bot.cli.guidelines_cmd import MAX_LIMIT as CLI_LIMIT

    assert CLI_LIMIT == MAX_LIMIT


def test_schema_check_without_alembic_agrees_with_alembic(engine: Engine) -> None:
    from alembic.runtime.migration import MigrationContext

    from bot.store.db import _alembic_head_revision, current_revision, head_revision

    assert head_revision() == _alembic_head_revision()
    with engine.connect() as conn:
        assert current_revision(engine) == MigrationContext.configure(conn).get_current_revision()
    assert current_revision(engine) == head_revision()
