"""The import graph of the package: no cycles, and the pure layers import nothing of the shell."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "guidelines", "reports")
# What the pure layers (guidelines/, reports/) may never import, directly or deferred.
SHELL = ("bot", "sqlalchemy", "alembic", "slack_sdk", "slack_bolt", "psycopg", "waitress")


def _modules() -> dict[str, Path]:
    found = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # Alembic scripts are loaded by Alembic, not imported
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _imports(module: str, path: Path, known: frozenset[str] = frozenset()) -> Iterator[tuple[str, int]]:
    """Every module named by an import anywhere in the file (top level, deferred, TYPE_CHECKING).

    `from pkg import sub` names the module `pkg.sub` when it is one of `known`, else `pkg`.
    """
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = _package_of(module, path).split(".")
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join([*pkg, base] if base else pkg)
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
            if len(subs) < len(node.names):
                yield base, node.lineno
            for sub in subs:
                yield sub, node.lineno


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        for name, _ in _imports(mod, path, frozenset(mods)):
            if name in mods and name != mod:
                graph[mod].add(name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_walk_sees_the_package() -> None:
    graph = _graph()
    assert "bot.slack.app" in graph and "reports.digest.build" in graph and "guidelines.parse" in graph
    # A known edge, so that a broken walk cannot pass the other tests by seeing nothing.
    assert "bot.store.db" in graph["bot.cli.db_cmd"]


def test_no_import_cycles_even_through_deferred_imports() -> None:
    assert _cycles(_graph()) == []


def test_the_pure_layers_import_nothing_of_the_shell() -> None:
    bad = []
    for mod, path in _modules().items():
        if not mod.startswith(("guidelines", "reports")):
            continue
        for name, line in _imports(mod, path):
            if name.split(".")[0] in SHELL:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert bad == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
