"""docs/architecture.md tells the truth about the path of a `/guide` request."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
MAX_FILES = 5


def _guide_path() -> list[str]:
    """The project files of the numbered list under "The path of a `/guide` request", in order."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## The path of a `/guide` request", 1)[1].split("\n## ", 1)[0]
    steps = re.findall(r"^\d+\. `([^`]+\.py)`", section, flags=re.M)
    return steps


def _module(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def _imports(path: str) -> set[str]:
    """Every module a file imports, deferred imports included."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def test_the_guide_path_is_at_most_five_existing_files() -> None:
    steps = _guide_path()
    assert 3 <= len(steps) <= MAX_FILES, steps
    assert len(set(steps)) == len(steps), f"a file appears twice: {steps}"
    for path in steps:
        assert (ROOT / path).is_file(), f"docs/architecture.md names {path}, which does not exist"


def test_each_step_of_the_guide_path_imports_the_next() -> None:
    listener, job, search, ranking, builder = _guide_path()
    assert _module(job) in _imports(listener), f"{listener} does not import {job}"
    assert _module(search) in _imports(job), f"{job} does not import {search}"
    assert _module(builder) in _imports(job), f"{job} does not import {builder}"
    assert _module(ranking) in _imports(search), f"{search} does not import {ranking}"


def test_the_search_ranking_is_pure() -> None:
    steps = _guide_path()
    ranking = next(p for p in steps if p.startswith("guidelines/"))
    shell = {
        m for m in _imports(ranking) if m.split(".")[0] in {"bot", "sqlalchemy", "slack_sdk", "slack_bolt"}
    }
    assert not shell, f"{ranking} imports the shell: {shell}"


def test_the_search_step_needs_no_unlisted_search_module() -> None:
    """The query language lives in the listed ranking file, not in a sixth one."""
    steps = _guide_path()
    search = next(p for p in steps if p.startswith("bot/store/"))
    listed = {_module(p) for p in steps}
    used = {m for m in _imports(search) if m.startswith("guidelines.search.") and m.count(".") == 2}
    assert used <= listed, f"{search} needs {sorted(used - listed)}, not on the documented path"
