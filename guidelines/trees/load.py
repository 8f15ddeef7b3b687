"""Reading decision-tree YAML files into Trees, collecting every problem with its file and line.

The YAML is parsed into events (libyaml's SafeLoader parser when installed) and composed here, never
constructed: node marks give each error its line, and duplicate keys, which PyYAML would silently
collapse, are visible on the composed mappings.
The format is in docs/guidelines-format.md ("Decision trees").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import yaml

from guidelines.errors import GuidelineFormatError, TreeErrors
from guidelines.metadata import CONTROL_RE, DECODED_RE
from guidelines.trees.model import MAX_NODES, MAX_OPTIONS, MIN_OPTIONS, Leaf, Node, Option, Question, Tree
from guidelines.trees.validate import Graph, check_graph

TREES_DIR = "trees"
TREE_SUFFIX = ".yaml"

# Slack's limits for where each text is shown (docs/guidelines-format.md). Section text is mrkdwn,
# where `&`, `<` and `>` are sent escaped, so they count as their entities.
MAX_TITLE = 150  # header block (plain text)
MAX_SECTION_TEXT = 3000  # section block: question text, help, rationale, description
MAX_OPTION_TEXT = 75  # button label (plain text)
MAX_ID = 64

TREE_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
NODE_ID_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")

TREE_FIELDS = ("id", "title", "description", "start", "nodes")
TREE_REQUIRED = ("id", "title", "start", "nodes")
QUESTION_FIELDS = ("text", "help", "anchors", "options")
QUESTION_REQUIRED = ("text", "options")
LEAF_FIELDS = ("label", "rationale", "anchor")
OPTION_FIELDS = ("text", "next")

_NULL_TAG = "tag:yaml.org,2002:null"
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


@dataclass
class TreeSource:
    """One tree file: its path in the version folder (`trees/x.yaml`), how errors show it, its text."""

    path: str
    shown: str
    text: str


@dataclass
class _Refs:
    """Where each label and anchor is cited, for the checks that need the guideline."""

    labels: list[tuple[str, str, int]] = field(default_factory=list)  # (node id, label, line)
    anchors: list[tuple[str, str, int]] = field(default_factory=list)  # (node id, anchor, line)


@dataclass
class ParsedTree:
    """What one file yielded: the tree when it is valid on its own, its id and where each ref is."""

    tree: Tree | None
    tree_id: str | None
    id_line: int
    refs: _Refs
    problems: list[GuidelineFormatError]


def slack_length(text: str) -> int:
    """Length of `text` in a mrkdwn section once `&`, `<` and `>` are escaped."""
    return len(text) + 4 * text.count("&") + 3 * (text.count("<") + text.count(">"))


def _show(value: str, limit: int = 60) -> str:
    """A user value quoted for a message, cut when long."""
    return f'"{value}"' if len(value) <= limit else f'"{value[:limit]}…"'


def _hint(value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class _Reader:
    """Walks one composed file, appending a problem for everything wrong and carrying on."""

    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.problems: list[GuidelineFormatError] = []

    def fail(self, message: str, line: int) -> None:
        self.problems.append(GuidelineFormatError(message, self.shown, line))

    def mapping(
        self,
        node: yaml.Node,
        what: str,
        known: Sequence[str] | None,
        required: Sequence[str] = (),
        duplicate: str = "",
        line: int | None = None,
    ) -> dict[str, tuple[int, yaml.Node]] | None:
        """Keys of a mapping node with their lines and values; None (with a problem) when not a mapping."""
        if not isinstance(node, yaml.MappingNode):
            self.fail(f"{what} must be a mapping (key: value lines), not {_kind(node)}", _line(node))
            return None
        out: dict[str, tuple[int, yaml.Node]] = {}
        for key_node, value in node.value:
            key_line = _line(key_node)
            key = self.scalar(key_node, f"a key in {what}")
            if key is None:
                continue
            if key in out:
                name = duplicate or f"{what}: duplicate key"
                self.fail(f'{name} "{_clip(key)}" (first at line {out[key][0]})', key_line)
                continue
            if known is not None and key not in known:
                self.fail(
                    f"{what}: unknown field {_show(key)}{_hint(key, known)}; known fields: {', '.join(known)}",
                    key_line,
                )
                continue
            out[key] = (key_line, value)
        for key in required:
            if key not in out:
                self.fail(f'{what}: missing required field "{key}"', line or _line(node))
        return out

    def scalar(self, node: yaml.Node, what: str) -> str | None:
        """The text of a scalar as written (numbers and booleans too); None with a problem otherwise."""
        if not isinstance(node, yaml.ScalarNode):
            self.fail(f"{what} must be text, not {_kind(node)}", _line(node))
            return None
        if node.tag == _NULL_TAG and node.style is None:
            hint = " (a # starts a YAML comment: quote text that starts with #)" if node.value == "" else ""
            self.fail(f"{what} is empty{hint}", _line(node))
            return None
        value = str(node.value)
        match = DECODED_RE.search(value)
        if match is not None:
            code = ord(match.group())
            if 0xD800 <= code <= 0xDFFF:
                problem = f"U+{code:04X} is a lone surrogate, not a character (write the character itself)"
            else:
                problem = f"control character U+{code:04X} in text"
            self.fail(f"{what}: {problem}", _line(node))
            return None
        return value

    def text(
        self,
        node: yaml.Node,
        what: str,
        limit: int,
        *,
        single_line: bool = False,
        escaped: bool = True,
    ) -> str | None:
        """Non-empty text within `limit` (counted as Slack shows it), optionally on one line."""
        value = self.scalar(node, what)
        if value is None:
            return None
        ok = True
        if not value.strip():
            self.fail(f"{what} is empty", _line(node))
            ok = False
        if single_line and ("\n" in value or "\r" in value or "\u2028" in value or "\u2029" in value):
            self.fail(f"{what} must be a single line", _line(node))
            ok = False
        size = slack_length(value) if escaped else len(value)
        if size > limit:
            how = " (&, < and > count as Slack's escapes)" if escaped and size != len(value) else ""
            self.fail(
                f"{what} is too long: {size} characters{how}; Slack shows at most {limit} there", _line(node)
            )
            ok = False
        return value if ok else None

    def ident(self, node: yaml.Node, what: str, pattern: re.Pattern[str], rule: str) -> str | None:
        value = self.scalar(node, what)
        if value is None:
            return None
        if not pattern.fullmatch(value):
            self.fail(f"bad {what} {_show(value)}: {rule}", _line(node))
            return None
        return value


_NODE_RULE = 'use 1-64 letters, digits, "_" and "-", not starting with "-"'
_TREE_RULE = "use 1-64 lowercase letters, digits and hyphens, starting with a letter or digit"


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return "text" if node.tag != _NULL_TAG else "empty"


def _clip(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


# libyaml's parser when it is there (about 30 times faster than PyYAML's own); events either way.
_Parser: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULL_RE = re.compile(r"~|null|Null|NULL|")


def _compose_events(text: str) -> yaml.Node | None:
    """Compose the single document of `text` from parser events, iteratively (no nesting depth can
    exhaust the stack), refusing aliases where they are used: a tree is written out, and an alias of a
    large list repeated many times would make the file's size say nothing about the work of reading it.
    Scalars keep the text as written; only a plain null (`~`, `null`, nothing) gets the null tag."""
    root: yaml.Node | None = None
    stack: list[yaml.Node] = []
    pending: list[yaml.Node | None] = []  # per open mapping: its key waiting for a value
    documents = 0
    for event in yaml.parse(text, Loader=_Parser):  # safe: a SafeLoader parser, events only
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    "a tree file holds one YAML document (remove the second ---)",
                    event.start_mark,
                )
            continue
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None,
                None,
                "aliases (*name) are not supported in tree files: write the node out",
                event.start_mark,
            )
        if isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            stack.pop()
            pending.pop()
            continue
        node: yaml.Node
        if isinstance(event, yaml.ScalarEvent):
            style = event.style or None  # libyaml says "" for plain, PyYAML None
            plain = style is None and event.implicit[0]
            tag = _NULL_TAG if plain and _NULL_RE.fullmatch(event.value) else _STR_TAG
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style)
        elif isinstance(event, yaml.SequenceStartEvent):
            node = yaml.SequenceNode(_SEQ_TAG, [], event.start_mark, event.end_mark)
        elif isinstance(event, yaml.MappingStartEvent):
            node = yaml.MappingNode(_MAP_TAG, [], event.start_mark, event.end_mark)
        else:
            continue  # stream and document ends
        if not stack:
            root = node
        elif isinstance(stack[-1], yaml.SequenceNode):
            stack[-1].value.append(node)
        elif pending[-1] is None:
            pending[-1] = node
        else:
            stack[-1].value.append((pending[-1], node))
            pending[-1] = None
        if isinstance(node, yaml.SequenceNode | yaml.MappingNode):
            stack.append(node)
            pending.append(None)
    return root


def compose(text: str, shown: str) -> tuple[yaml.Node | None, list[GuidelineFormatError]]:
    """The composed YAML document, or the problems that stop reading it (control characters, syntax)."""
    problems: list[GuidelineFormatError] = []
    for number, line_text in enumerate(text.split("\n"), start=1):
        match = CONTROL_RE.search(line_text)
        if match is not None:
            problems.append(
                GuidelineFormatError(
                    f"control character U+{ord(match.group()):04X} in text (column {match.start() + 1})",
                    shown,
                    number,
                )
            )
    if problems:
        return None, problems
    try:
        return _compose_events(text), []
    except yaml.MarkedYAMLError as exc:
        # A scanner error's context is where the token began (an unclosed quote), the useful line;
        # a parser's context is the enclosing block, often far above the problem.
        scanning = isinstance(exc, yaml.scanner.ScannerError) and exc.context_mark is not None
        mark = exc.context_mark if scanning else (exc.problem_mark or exc.context_mark)
        line = mark.line + 1 if mark is not None else 1
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "cannot be read"
        return None, [GuidelineFormatError(f"malformed YAML: {problem}", shown, line)]
    except yaml.reader.ReaderError as exc:
        # libyaml counts the position in UTF-8 bytes, PyYAML in characters.
        if _Parser is yaml.SafeLoader:
            line = text.count("\n", 0, max(exc.position, 0)) + 1
        else:
            line = text.encode("utf-8", "surrogatepass").count(b"\n", 0, max(exc.position, 0)) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        message = f"malformed YAML: character U+{ord(char):04X} is not allowed in YAML"
        return None, [GuidelineFormatError(message, shown, line)]
    except yaml.YAMLError as exc:
        return None, [GuidelineFormatError(f"malformed YAML: {exc}", shown, 1)]


def parse_tree(source: TreeSource, *, slug: str = "", version: str = "") -> ParsedTree:
    """Read one tree file and check everything that needs no guideline (structure, graph, limits)."""
    root, problems = compose(source.text, source.shown)
    refs = _Refs()
    if problems:
        return ParsedTree(None, None, 1, refs, problems)
    if root is None:
        return ParsedTree(None, None, 1, refs, [GuidelineFormatError("empty tree file", source.shown, 1)])
    r = _Reader(source.shown)
    top = r.mapping(root, "tree", TREE_FIELDS, TREE_REQUIRED)
    if top is None:
        return ParsedTree(None, None, _line(root), refs, r.problems)

    def get(key: str) -> tuple[int, yaml.Node] | None:
        return top.get(key)

    tree_id = title = start = None
    description = ""
    id_line = _line(root)
    if (entry := get("id")) is not None:
        id_line = entry[0]
        tree_id = r.ident(entry[1], "tree id", TREE_ID_RE, _TREE_RULE)
    if (entry := get("title")) is not None:
        title = r.text(entry[1], "title", MAX_TITLE, single_line=True, escaped=False)
    if (entry := get("description")) is not None:
        description = r.text(entry[1], "description", MAX_SECTION_TEXT) or ""
    start_line = id_line
    if (entry := get("start")) is not None:
        start_line = entry[0]
        start = r.ident(entry[1], "start", NODE_ID_RE, _NODE_RULE)

    nodes: list[Node] = []
    graph = Graph()
    nodes_entry = get("nodes")
    if nodes_entry is not None:
        nodes_map = r.mapping(nodes_entry[1], "nodes", None, duplicate="duplicate node id")
        if nodes_map is None:
            graph.complete = False
        else:
            if len(nodes_map) > MAX_NODES:
                r.fail(f"the tree has {len(nodes_map)} nodes; the limit is {MAX_NODES}", nodes_entry[0])
            for node_id, (line, value) in nodes_map.items():
                if not NODE_ID_RE.fullmatch(node_id):
                    r.fail(f"bad node id {_show(node_id)}: {_NODE_RULE}", line)
                graph.add(node_id, line)
                node = _node(r, node_id, line, value, graph, refs)
                if node is not None:
                    nodes.append(node)
            if not nodes_map:
                r.fail("nodes is empty: a tree needs questions and leaves", nodes_entry[0])
                graph.complete = False
    else:
        graph.complete = False
    if start is not None and nodes_entry is not None and start not in graph.lines:
        graph.complete = False
        if graph.lines:
            r.fail(f"start {_show(start)} is not a node of this tree{_hint(start, graph.lines)}", start_line)
    if start is not None and start in graph.lines:
        r.problems.extend(check_graph(graph, start, source.shown))

    tree = None
    if not r.problems and tree_id is not None and title is not None and start is not None:
        tree = Tree(
            id=tree_id,
            title=title,
            description=description,
            start=start,
            nodes=tuple(nodes),
            file=source.path,
            slug=slug,
            version=version,
        )
    return ParsedTree(tree, tree_id, id_line, refs, r.problems)


def _node(r: _Reader, node_id: str, line: int, value: yaml.Node, graph: Graph, refs: _Refs) -> Node | None:
    """One node; its edges go into `graph` even when other fields are wrong, so later checks stay true."""
    what = f'node "{_clip(node_id)}"'
    if not isinstance(value, yaml.MappingNode):
        r.fail(
            f"{what} must be a mapping with a question (text, options) or a leaf (label, rationale, anchor)",
            line,
        )
        graph.complete = False
        return None
    keys = {r_key.value for r_key, _ in value.value if isinstance(r_key, yaml.ScalarNode)}
    is_question = bool(keys & {"text", "help", "anchors", "options"})
    is_leaf = bool(keys & set(LEAF_FIELDS))
    if is_question and is_leaf:
        r.fail(
            f"{what} mixes question fields (text, help, anchors, options) and leaf fields (label, rationale, "
            "anchor): a node is one or the other",
            line,
        )
        graph.complete = False
        return None
    if not is_question and not is_leaf:
        r.fail(f"{what} is neither a question (text, options) nor a leaf (label, rationale, anchor)", line)
        graph.complete = False
        r.mapping(value, what, QUESTION_FIELDS + LEAF_FIELDS, line=line)  # reports its unknown fields
        return None
    if is_leaf:
        return _leaf(r, node_id, line, value, what, refs)
    return _question(r, node_id, line, value, what, graph, refs)


def _leaf(r: _Reader, node_id: str, line: int, value: yaml.Node, what: str, refs: _Refs) -> Leaf | None:
    before = len(r.problems)
    fields = r.mapping(value, what, LEAF_FIELDS, LEAF_FIELDS, line=line)
    if fields is None:
        return None
    label = rationale = anchor = None
    if "label" in fields:
        node = fields["label"][1]
        label = r.scalar(node, f"{what}: label")
        if label is not None:
            refs.labels.append((node_id, label, _line(node)))
    if "rationale" in fields:
        rationale = r.text(fields["rationale"][1], f"{what}: rationale", MAX_SECTION_TEXT)
    if "anchor" in fields:
        anchor = _anchor(r, fields["anchor"][1], f"{what}: anchor")
        if anchor is not None:
            refs.anchors.append((node_id, anchor, _line(fields["anchor"][1])))
    if len(r.problems) > before or label is None or rationale is None or anchor is None:
        return None
    return Leaf(id=node_id, label=label, rationale=rationale, anchor=anchor, line=line)


def _anchor(r: _Reader, node: yaml.Node, what: str) -> str | None:
    value = r.scalar(node, what)
    if value is None:
        return None
    if value.startswith("#"):
        r.fail(f"{what} {_show(value)}: write the anchor without the leading #", _line(node))
        return None
    if not value.strip():
        r.fail(f"{what} is empty", _line(node))
        return None
    return value


def _question(
    r: _Reader, node_id: str, line: int, value: yaml.Node, what: str, graph: Graph, refs: _Refs
) -> Question | None:
    before = len(r.problems)
    fields = r.mapping(value, what, QUESTION_FIELDS, QUESTION_REQUIRED, line=line)
    if fields is None:
        graph.complete = False
        return None
    text = help_text = None
    if "text" in fields:
        text = r.text(fields["text"][1], f"{what}: text", MAX_SECTION_TEXT)
    if "help" in fields:
        help_text = r.text(fields["help"][1], f"{what}: help", MAX_SECTION_TEXT)
    anchors: list[str] = []
    if "anchors" in fields:
        seq = fields["anchors"][1]
        if not isinstance(seq, yaml.SequenceNode):
            r.fail(f"{what}: anchors must be a list of section anchors, not {_kind(seq)}", _line(seq))
        else:
            for item in seq.value:
                anchor = _anchor(r, item, f"{what}: an anchor")
                if anchor is not None:
                    anchors.append(anchor)
                    refs.anchors.append((node_id, anchor, _line(item)))
    options: list[Option] = []
    if "options" in fields:
        options_line, seq = fields["options"]
        if not isinstance(seq, yaml.SequenceNode):
            r.fail(
                f"{what}: options must be a list of options (- text: …, next: …), not {_kind(seq)}",
                options_line,
            )
            graph.complete = False
        else:
            count = len(seq.value)
            if not MIN_OPTIONS <= count <= MAX_OPTIONS:
                r.fail(
                    f"{what} has {count} option{'s' if count != 1 else ''}: a question needs "
                    f"{MIN_OPTIONS} to {MAX_OPTIONS}",
                    options_line,
                )
            for index, item in enumerate(seq.value, start=1):
                option = _option(r, node_id, item, f"{what}: option {index}", graph)
                if option is not None:
                    options.append(option)
    if len(r.problems) > before or text is None:
        return None
    return Question(
        id=node_id,
        text=text,
        options=tuple(options),
        help=help_text or "",
        anchors=tuple(anchors),
        line=line,
    )


def _option(r: _Reader, node_id: str, item: yaml.Node, what: str, graph: Graph) -> Option | None:
    fields = r.mapping(item, what, OPTION_FIELDS, OPTION_FIELDS)
    if fields is None:
        graph.complete = False
        return None
    text = target = None
    if "text" in fields:
        text = r.text(fields["text"][1], f"{what}: text", MAX_OPTION_TEXT, single_line=True, escaped=False)
    if "next" in fields:
        next_node = fields["next"][1]
        target = r.scalar(next_node, f"{what}: next")
        if target is not None:
            graph.edge(node_id, target, _line(next_node))
        else:
            graph.complete = False
    else:
        graph.complete = False
    if text is None or target is None:
        return None
    return Option(text=text, next=target, line=_line(item))


def load_trees(
    sources: Sequence[TreeSource],
    labels: Sequence[str],
    anchors: Iterable[str],
    *,
    slug: str = "",
    version: str = "",
) -> tuple[Tree, ...]:
    """Parse and validate the trees of one guideline version; raise TreeErrors listing every problem."""
    problems: list[GuidelineFormatError] = []
    trees: list[Tree] = []
    known_anchors = set(anchors)
    label_set = set(labels)
    first_id: dict[str, tuple[str, int]] = {}
    for source in sources:
        parsed = parse_tree(source, slug=slug, version=version)
        extra = _check_refs(parsed.refs, label_set, labels, known_anchors, source.shown)
        # One file's problems in line order, whichever check found them.
        problems.extend(sorted([*parsed.problems, *extra], key=lambda e: e.line or 0))
        if parsed.tree_id is not None:
            if parsed.tree_id in first_id:
                where, line = first_id[parsed.tree_id]
                problems.append(
                    GuidelineFormatError(
                        f'duplicate tree id "{parsed.tree_id}" (first in {where}:{line})',
                        source.shown,
                        parsed.id_line,
                    )
                )
            else:
                first_id[parsed.tree_id] = (source.shown, parsed.id_line)
        if parsed.tree is not None and not extra:
            trees.append(parsed.tree)
    if problems:
        raise TreeErrors(problems)
    return tuple(trees)


def _check_refs(
    refs: _Refs, label_set: set[str], labels: Sequence[str], anchors: set[str], shown: str
) -> list[GuidelineFormatError]:
    out: list[GuidelineFormatError] = []
    for node_id, label, line in refs.labels:
        if label not in label_set:
            out.append(
                GuidelineFormatError(
                    f'node "{_clip(node_id)}": label {_show(label)} is not a label of this guideline'
                    f"{_hint(label, labels)}; labels: {', '.join(labels)}",
                    shown,
                    line,
                )
            )
    for node_id, anchor, line in refs.anchors:
        if anchor not in anchors:
            out.append(
                GuidelineFormatError(
                    f'node "{_clip(node_id)}": no section of this version has anchor {_show(anchor)}'
                    f"{_hint(anchor, anchors)}",
                    shown,
                    line,
                )
            )
    return out
