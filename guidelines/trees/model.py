"""Plain data types for decision trees: authored as YAML beside a guideline version, walked one question
at a time. Shared by the loader/validator, the store, the renderers, the Slack walk and the stats."""

from __future__ import annotations

from dataclasses import dataclass, field

# Limits a valid tree respects (checked by guidelines.trees.validate; documented in
# docs/guidelines-format.md). Option counts follow what one Slack actions block can show well.
MIN_OPTIONS = 2
MAX_OPTIONS = 8
MAX_DEPTH = 25
MAX_NODES = 500


@dataclass(frozen=True)
class Option:
    """One answer to a question: its button text and the node it leads to."""

    text: str
    next: str
    line: int = 0  # 1-based line of the option in its YAML file (0 when not from a file)


@dataclass(frozen=True)
class Question:
    """A node asking one question, with 2-8 options."""

    id: str
    text: str
    options: tuple[Option, ...]
    help: str = ""
    anchors: tuple[str, ...] = ()  # guideline sections the question cites
    line: int = 0


@dataclass(frozen=True)
class Leaf:
    """An outcome: the label to give, why, and the section that justifies it."""

    id: str
    label: str
    rationale: str
    anchor: str
    line: int = 0


Node = Question | Leaf


@dataclass(frozen=True)
class Tree:
    """A decision tree of one guideline version (`slug`/`id` at `version`)."""

    id: str
    title: str
    description: str
    start: str
    nodes: tuple[Node, ...]
    file: str = ""  # path relative to the guideline folder, e.g. `trees/sarcasm.yaml`
    slug: str = ""  # the guideline it belongs to
    version: str = ""
    _by_id: dict[str, Node] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {n.id: n for n in self.nodes})

    @property
    def ref(self) -> str:
        """`slug/id`, the name a user types (`/guide tree product-sentiment/sarcasm`)."""
        return f"{self.slug}/{self.id}"

    def node(self, node_id: str) -> Node | None:
        """The node with this id, or None."""
        return self._by_id.get(node_id)

    def cited_anchors(self) -> frozenset[str]:
        """Every section anchor the tree cites, in questions and leaves."""
        out: set[str] = set()
        for n in self.nodes:
            out.update(n.anchors if isinstance(n, Question) else (n.anchor,))
        return frozenset(out)

    def follow(self, choices: tuple[int, ...]) -> tuple[Node, ...] | None:
        """The nodes visited from `start` taking option `choices[i]` at step i, or None when a choice
        does not exist (a stale or forged path). The walk's state is this tuple of small integers."""
        node = self.node(self.start)
        if node is None:
            return None
        path: list[Node] = [node]
        for choice in choices:
            if not isinstance(node, Question) or not 0 <= choice < len(node.options):
                return None
            node = self.node(node.options[choice].next)
            if node is None:
                return None
            path.append(node)
        return tuple(path)
