"""Where SQL may live: only in bot/store/, and never built from runtime values (checked with `ast`).

Outside bot/store/ no string holds a SQL statement and nothing calls `text(...)` or
`exec_driver_sql(...)`. Inside bot/store/ every f-string, `.format()`, `%` or `+` that builds SQL
interpolates only module-level UPPER_CASE constants, literals, or a name of ALLOWED.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WALKED = ("bot", "guidelines", "reports")
STORE = ROOT / "bot" / "store"

# Upper-case SQL shapes (English prose such as "Select a project" does not match).
SQL = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bSELECT \d|\bINSERT INTO\b|\bUPDATE \w+ (?:AS \w+ )?SET\b|\bDELETE FROM\b"
    r"|\bCREATE (?:TEMP |TEMPORARY |UNIQUE |VIRTUAL )?(?:TABLE|INDEX|TRIGGER|VIEW)\b"
    r"|\bDROP (?:TABLE|INDEX|TRIGGER|VIEW)\b|\bALTER TABLE\b|\bCOPY [({\w]|\bPRAGMA \w|\bSAVEPOINT \w"
    r"|\bROLLBACK TO\b|\bANALYZE \w|\bSET LOCAL\b|\bTRUNCATE\b|\bON CONFLICT\b|\bWITH \w+ AS\b"
)
# Names that may be interpolated into SQL inside the store although they are not module constants.
ALLOWED = {
    # bot/store/digest_reads.py: SQL that SQLAlchemy compiled from a Core statement for COPY ... TO
    # STDOUT; its values stay bound parameters (passed as compiled.params).
    "compiled",
}
CONSTANT = re.compile(r"_?[A-Z][A-Z0-9_]*")
# Calls whose first argument is SQL text.
SQL_CALLS = {"text", "exec_driver_sql", "execute", "executemany", "copy"}


def _files() -> Iterator[Path]:
    for top in WALKED:
        yield from sorted((ROOT / top).rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _skipped(tree: ast.AST) -> set[int]:
    """ids of bare string statements (docstrings: prose, not SQL) and of the literal parts of f-strings."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant | ast.JoinedStr):
            out.add(id(node.value))
        if isinstance(node, ast.JoinedStr):
            out.update(id(v) for v in node.values)
    return out


def _literal(node: ast.AST) -> str | None:
    """The text of a string literal or f-string (placeholders as {}), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _sqlalchemy_text_names(tree: ast.AST) -> tuple[set[str], set[str]]:
    """Local names of sqlalchemy's `text`, and local names of the sqlalchemy module itself."""
    funcs, modules = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            funcs.update(a.asname or a.name for a in node.names if a.name == "text")
        elif isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name.startswith("sqlalchemy"))
    return funcs, modules


def _called(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def outside_store_problems(path: Path, source: str) -> list[str]:
    """SQL strings and raw SQL calls in a module outside bot/store/."""
    tree = ast.parse(source)
    skipped = _skipped(tree)
    funcs, modules = _sqlalchemy_text_names(tree)
    out = []
    for node in ast.walk(tree):
        text = _literal(node)
        if text is not None and id(node) not in skipped and SQL.search(text):
            out.append(f"{_rel(path)}:{node.lineno}: SQL outside bot/store/: {text.strip()[:60]!r}")
        if isinstance(node, ast.Call):
            func = node.func
            raw_text = (isinstance(func, ast.Name) and func.id in funcs) or (
                isinstance(func, ast.Attribute)
                and func.attr == "text"
                and isinstance(func.value, ast.Name)
                and func.value.id in modules
            )
            if raw_text or (isinstance(func, ast.Attribute) and func.attr == "exec_driver_sql"):
                out.append(f"{_rel(path)}:{node.lineno}: {_called(node)}(...) outside bot/store/")
    return out


def _module_constants(tree: ast.Module) -> set[str]:
    """UPPER_CASE names bound at module level (assigned or imported)."""
    names: set[str] = set()
    for stmt in tree.body:
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, ast.AnnAssign):
            targets = [stmt.target]
        elif isinstance(stmt, ast.ImportFrom):
            names.update(a.asname or a.name for a in stmt.names)
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name):
                    names.add(n.id)
    return {n for n in names if CONSTANT.fullmatch(n)}


def _constant_expr(node: ast.AST, constants: set[str]) -> bool:
    """A literal, a module constant, an allowed name, or a `+` of those."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in constants or node.id in ALLOWED
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _constant_expr(node.left, constants) and _constant_expr(node.right, constants)
    if isinstance(node, ast.JoinedStr):
        return all(
            _constant_expr(v.value, constants) for v in node.values if isinstance(v, ast.FormattedValue)
        )
    return False


def _sql_valued(node: ast.AST, sql_names: set[str]) -> bool:
    """A string literal that holds SQL, or a module-level name bound to one."""
    text = _literal(node)
    if text is not None:
        return bool(SQL.search(text))
    return isinstance(node, ast.Name) and node.id in sql_names


def _sql_names(tree: ast.Module) -> set[str]:
    """Module-level names bound to SQL literals (templates that may later be formatted)."""
    out = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and _sql_valued(stmt.value, set()):
            out.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    return out


def store_problems(path: Path, source: str) -> list[str]:
    """SQL built from anything but module constants (or ALLOWED names) in a module of bot/store/."""
    tree = ast.parse(source)
    constants = _module_constants(tree)
    sql_names = _sql_names(tree)
    passed_as_sql = {
        id(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _called(node) in SQL_CALLS and node.args
    }
    out = []

    def bad(node: ast.AST, how: str) -> None:
        out.append(f"{_rel(path)}:{node.lineno}: SQL {how} interpolates a runtime value")  # type: ignore[attr-defined]

    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and (_sql_valued(node, sql_names) or id(node) in passed_as_sql):
            if not _constant_expr(node, constants):
                bad(node, "f-string")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and _sql_valued(node.func.value, sql_names)
        ):
            args = [*node.args, *(k.value for k in node.keywords)]
            if not all(_constant_expr(a, constants) for a in args):
                bad(node, ".format()")
        elif (
            isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _sql_valued(node.left, sql_names)
        ):
            if not _constant_expr(node.right, constants) and not (
                isinstance(node.right, ast.Tuple)
                and all(_constant_expr(e, constants) for e in node.right.elts)
            ):
                bad(node, "%")
        elif (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Add)
            and (_sql_valued(node.left, sql_names) or _sql_valued(node.right, sql_names))
            and not _constant_expr(node, constants | sql_names)
        ):
            bad(node, "+")
    return out


def test_no_sql_outside_the_store() -> None:
    problems = [
        p
        for path in _files()
        if not path.is_relative_to(STORE)
        for p in outside_store_problems(path, path.read_text(encoding="utf-8"))
    ]
    assert problems == []


def test_store_sql_interpolates_only_constants() -> None:
    problems = [
        p
        for path in sorted(STORE.rglob("*.py"))
        for p in store_problems(path, path.read_text(encoding="utf-8"))
    ]
    assert problems == []


# The checks themselves, on tiny modules: they must see what they are meant to see.


@pytest.mark.parametrize(
    "source",
    [
        'q = "SELECT id FROM annotations WHERE project = :p"',
        'conn.exec_driver_sql("PRAGMA cache_size = -2000")',
        "from sqlalchemy import text\nconn.execute(text(sql))",
        "import sqlalchemy as sa\nsa.text(q)",
        'x = f"DELETE FROM annotations WHERE {where}"',
        'cur.execute("SELECT 1")',
    ],
)
def test_sql_outside_the_store_is_seen(source: str) -> None:
    assert outside_store_problems(ROOT / "bot" / "x.py", source)


@pytest.mark.parametrize(
    "source",
    [
        '"""Answers `SELECT 1` when healthy."""',
        'label = "Select a project"',
        'ax.text(0, 0, "note")',
        'msg = "update the SET of labels"',
    ],
)
def test_prose_outside_the_store_is_not_sql(source: str) -> None:
    assert outside_store_problems(ROOT / "bot" / "x.py", source) == []


@pytest.mark.parametrize(
    "source",
    [
        'def f(ids):\n    return f"SELECT * FROM t WHERE id IN ({ids})"',
        'T = "SELECT * FROM t WHERE id IN ({ids})"\ndef f(ids):\n    return T.format(ids=ids)',
        'def f(where):\n    conn.execute(text(f"{where}"))',
        'def f(n):\n    return "SELECT * FROM t LIMIT %s" % n',
        'def f(where):\n    return "DELETE FROM t WHERE " + where',
        'def f(table):\n    return f"COPY {table} FROM STDIN"',
    ],
)
def test_runtime_values_in_store_sql_are_seen(source: str) -> None:
    assert store_problems(STORE / "x.py", source)


@pytest.mark.parametrize(
    "source",
    [
        'COLUMNS = "a, b"\nSQL = f"INSERT INTO t ({COLUMNS}) VALUES (:a, :b)"',
        'T = "SELECT {c} FROM t"\nCOLS = "a"\nSQL = T.format(c=COLS)',
        'BASE = "DELETE FROM t WHERE "\nBY_ID = BASE + "id = :id"',
        'def f(compiled):\n    return f"COPY ({compiled}) TO STDOUT"',
        'def f(x):\n    return f"hello {x}"',
    ],
)
def test_constant_store_sql_passes(source: str) -> None:
    assert store_problems(STORE / "x.py", source) == []
