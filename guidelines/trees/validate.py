"""Graph checks of a decision tree: unknown `next`, cycles, unreachable nodes, depth.

Every walk is iterative and linear in nodes plus options, so a 500-node tree (or a 2 MB file of
many more) is checked at once and no input can exhaust the Python stack.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from guidelines.errors import GuidelineFormatError
from guidelines.trees.model import MAX_DEPTH

# A tree with very many cycles would print a message for each; past this many, one line says how many more.
MAX_CYCLES_REPORTED = 20


@dataclass
class Graph:
    """The nodes of one tree file (id -> line, in file order) and its option edges (with their lines).

    `complete` is False when some node could not be read: its edges are unknown, so "unreachable"
    would be a guess and is not reported.
    """

    lines: dict[str, int] = field(default_factory=dict)
    edges: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    complete: bool = True

    def add(self, node_id: str, line: int) -> None:
        """Record a node."""
        self.lines[node_id] = line
        self.edges.setdefault(node_id, [])

    def edge(self, node_id: str, target: str, line: int) -> None:
        """Record that an option of `node_id` leads to `target`, written at `line`."""
        self.edges.setdefault(node_id, []).append((target, line))


def _clip(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def check_graph(graph: Graph, start: str, shown: str) -> list[GuidelineFormatError]:
    """Problems of the graph walked from `start`; `start` must be a node."""
    out: list[GuidelineFormatError] = []

    def fail(message: str, line: int) -> None:
        out.append(GuidelineFormatError(message, shown, line))

    for node_id, targets in graph.edges.items():
        for target, line in targets:
            if target not in graph.lines:
                close = difflib.get_close_matches(target, list(graph.lines), n=1)
                hint = f' (did you mean "{close[0]}"?)' if close else ""
                fail(
                    f'node "{_clip(node_id)}": next "{_clip(target)}" is not a node of this tree{hint}', line
                )

    cycles, longest, child = _walk(graph, start)
    for number, (cycle, line) in enumerate(cycles):
        if number == MAX_CYCLES_REPORTED:
            fail(f"and {len(cycles) - number} more cycles", line)
            break
        fail("cycle: " + " → ".join(_clip(n, 40) for n in cycle) + ": a walk must always reach a leaf", line)

    if graph.complete:
        reached = _reachable(graph, start)
        for node_id, line in graph.lines.items():
            if node_id not in reached:
                fail(f'node "{_clip(node_id)}" is unreachable from start "{_clip(start)}"', line)

    if not cycles and longest.get(start, 0) > MAX_DEPTH:
        path = [start]
        while path[-1] in child and len(path) <= MAX_DEPTH + 1:
            path.append(child[path[-1]])
        shown_path = " → ".join(_clip(n, 40) for n in path) + (" → …" if path[-1] in child else "")
        fail(
            f"the tree is too deep: a walk can ask {longest[start]} questions, the limit is {MAX_DEPTH} "
            f"(longest path: {shown_path})",
            graph.lines[start],
        )
    return out


def _walk(graph: Graph, start: str) -> tuple[list[tuple[list[str], int]], dict[str, int], dict[str, str]]:
    """Iterative depth-first search from `start`, then from every node not yet seen (in file order).

    Returns the cycles (nodes in order, first repeated last, with the line of the closing `next`),
    the longest walk below each node in questions, and the child that walk takes.
    """
    on_path: dict[str, int] = {}  # node -> position on the current path (grey nodes)
    done: set[str] = set()  # black nodes
    longest: dict[str, int] = {}
    child: dict[str, str] = {}
    cycles: list[tuple[list[str], int]] = []
    roots = [start, *graph.lines]
    for root in roots:
        if root in done or root not in graph.lines:
            continue
        path: list[str] = [root]
        on_path[root] = 0
        stack = [iter(graph.edges.get(root, ()))]
        while stack:
            node = path[-1]
            pushed = False
            for target, line in stack[-1]:
                if target not in graph.lines or target in done:
                    continue
                if target in on_path:
                    cycles.append(([*path[on_path[target] :], target], line))
                    continue
                on_path[target] = len(path)
                path.append(target)
                stack.append(iter(graph.edges.get(target, ())))
                pushed = True
                break
            if pushed:
                continue
            stack.pop()
            path.pop()
            del on_path[node]
            done.add(node)
            best, best_child = 0, None
            for target, _ in graph.edges.get(node, ()):
                if target in longest and longest[target] + 1 > best:
                    best, best_child = longest[target] + 1, target
            longest[node] = best
            if best_child is not None:
                child[node] = best_child
    return cycles, longest, child


def _reachable(graph: Graph, start: str) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for target, _ in graph.edges.get(todo.pop(), ()):
            if target in graph.lines and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen
