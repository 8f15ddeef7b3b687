"""Loading a guideline folder into a validated GuidelineDocument (see docs/guidelines-format.md)."""

from __future__ import annotations

import bisect
import difflib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token

from guidelines.aliases import alias_key, is_alias_paragraph, read_aliases
from guidelines.anchors import is_valid_explicit_anchor, slugify, split_explicit_anchor
from guidelines.errors import GuidelineError, GuidelineFormatError, TreeErrors
from guidelines.folder import check_symlinks, require_inside
from guidelines.metadata import (
    DECODED_RE,
    METADATA_FILE,
    RawMetadata,
    check_control_chars,
    file_order,
    read_front_matter,
    read_toml,
    split_front_matter,
    validate_metadata,
)
from guidelines.model import GuidelineDocument, Section, SourceFile
from guidelines.plaintext import inline_text
from guidelines.render import render_markdown, section_markdown
from guidelines.trees.load import TREE_SUFFIX, TREES_DIR, TreeSource, load_trees
from guidelines.trees.model import Tree

__all__ = [
    "MAX_FILE_BYTES",
    "load_guideline",
    "parse_guideline_text",
    "render_markdown",
    "section_markdown",
]

MAX_FILE_BYTES = 2 * 1024 * 1024
_MD = MarkdownIt("commonmark")


def load_guideline(folder: Path, version: str | None = None) -> GuidelineDocument:
    """Read and validate one guideline version folder; `version` overrides the metadata's."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GuidelineError("not a guideline folder: no such directory", str(folder))
    root = check_symlinks(folder)

    def read(path: Path) -> str:
        require_inside(path, root)
        return _read_source(path)

    toml_path = folder / METADATA_FILE
    toml_text = read(toml_path) if toml_path.is_file() else None
    # Dot files are skipped: editors leave lock and swap files such as `.#rules.md` next to sources.
    names = [
        entry.name
        for entry in os.scandir(folder)
        if entry.name.endswith(".md") and not entry.name.startswith(".") and entry.is_file()
    ]
    for name in names:
        _check_file_name(folder, name)
    tree_texts = _read_trees(folder, read)
    return _build(names, lambda name: read(folder / name), toml_text, str(folder), version, tree_texts)


def parse_guideline_text(
    files: Mapping[str, str],
    toml: str | None = None,
    *,
    version: str | None = None,
    origin: str | None = None,
    trees: Mapping[str, str] | None = None,
) -> GuidelineDocument:
    """Like load_guideline but from memory: `files` maps Markdown file names to their text.

    `origin` is the folder name put in front of file names in error messages; `trees` maps file
    names inside `trees/` (`sarcasm.yaml`) to their YAML text.
    """
    for name, text in files.items():
        size = len(text.encode("utf-8"))
        if size > MAX_FILE_BYTES:
            raise GuidelineFormatError(_too_big(size), _display(origin, name), 1)
    tree_texts: list[tuple[str, str | GuidelineError]] = []
    for name, text in sorted((trees or {}).items()):
        size = len(text.encode("utf-8", "surrogatepass"))
        shown = _display(origin, f"{TREES_DIR}/{name}")
        tree_texts.append(
            (name, GuidelineFormatError(_too_big(size), shown, 1) if size > MAX_FILE_BYTES else text)
        )
    return _build(list(files), files.__getitem__, toml, origin, version, tree_texts)


def _read_trees(folder: Path, read: Callable[[Path], str]) -> list[tuple[str, str | GuidelineError]]:
    """The `trees/*.yaml` files of a version folder, by name, each with its text or why it cannot be read.

    The same rules as Markdown files: dot files are skipped, names must be text, reads stay inside the
    folder. An unreadable file is one problem among the trees' problems, not the end of the check.
    """
    trees_dir = folder / TREES_DIR
    if not trees_dir.is_dir():
        return []
    out: list[tuple[str, str | GuidelineError]] = []
    for entry in sorted(os.scandir(trees_dir), key=lambda e: e.name):
        if entry.name.startswith(".") or not entry.is_file():
            continue
        if entry.name.endswith(".yml"):
            shown = str(trees_dir / entry.name)
            message = f"tree files end in {TREE_SUFFIX}: rename it to {entry.name[:-4]}{TREE_SUFFIX}"
            out.append((entry.name, GuidelineFormatError(message, shown)))
            continue
        if not entry.name.endswith(TREE_SUFFIX):
            continue
        try:
            _check_file_name(trees_dir, entry.name)
            out.append((entry.name, read(trees_dir / entry.name)))
        except GuidelineError as exc:
            out.append((entry.name, exc))
    return out


def _read_source(path: Path) -> str:
    """Read a UTF-8 file of at most MAX_FILE_BYTES."""
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        # Report where the limit is crossed; the rest of the file is never read.
        line = data[:MAX_FILE_BYTES].count(b"\n") + 1
        raise GuidelineFormatError(_too_big(path.stat().st_size), str(path), line)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise GuidelineFormatError(
            f"not UTF-8: byte 0x{data[exc.start]:02X} cannot be decoded; save the file as UTF-8",
            str(path),
            line,
        ) from exc


def _check_file_name(folder: Path, name: str) -> None:
    """A Markdown file's name is stored with the version: it must be text like the rest."""
    match = DECODED_RE.search(name)
    if match is None:
        return
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # how Python hands over a byte of a name that is not UTF-8
        problem = f"is not UTF-8 (byte 0x{code - 0xDC00:02X})"
    else:
        problem = f"has control character U+{code:04X}"
    raise GuidelineFormatError(f"file name {problem}: rename the file", str(folder / name))


def _too_big(size: int) -> str:
    return f"file is too large: {size} bytes, the limit is 2 MB ({MAX_FILE_BYTES} bytes)"


def _display(origin: str | None, name: str) -> str:
    return str(PurePath(origin) / name) if origin else name


def _normalise(text: str) -> str:
    # A BOM and Windows line endings are editor accidents, not content: dropping them keeps the
    # content hash equal for the same guideline checked out on different systems.
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class _Link:
    href: str
    anchor: str
    target_file: str | None  # None for `#anchor` links, which may point into any file
    file: str  # display path of the file holding the link
    line: int


@dataclass
class _Draft:
    anchor: str
    title: str
    level: int
    path: tuple[str, ...]
    body: str
    file: str  # name inside the folder
    line: int
    links: list[_Link] = field(default_factory=list)
    aliases: tuple[str, ...] = ()
    alias_lines: tuple[int, ...] = ()  # 1-based line of each alias


def _build(
    names: Sequence[str],
    read: Callable[[str], str],
    toml_text: str | None,
    origin: str | None,
    version: str | None,
    tree_texts: Sequence[tuple[str, str | GuidelineError]] = (),
) -> GuidelineDocument:
    available = sorted(names)
    texts: dict[str, str] = {}

    def text_of(name: str) -> str:
        if name not in texts:
            texts[name] = _normalise(read(name))
        return texts[name]

    meta_file: str | None = None  # the Markdown file whose front matter holds the metadata
    if toml_text is not None:
        raw = read_toml(_normalise(toml_text), _display(origin, METADATA_FILE))
    else:
        if not available:
            raise GuidelineFormatError("empty document: no Markdown files", origin)
        meta_file = available[0]
        shown = _display(origin, meta_file)
        yaml_text, _ = split_front_matter(text_of(meta_file), shown)
        if yaml_text is None:
            raise GuidelineFormatError(
                f"no metadata: add {METADATA_FILE}, or YAML front matter (--- ... ---) at the top of "
                f"{meta_file}",
                shown,
                1,
            )
        check_control_chars(yaml_text, shown, first_line=2)
        raw = read_front_matter(yaml_text, shown)
    order = _resolve_order(raw, available, meta_file)
    meta = validate_metadata(raw, version)

    drafts: list[_Draft] = []
    anchors_seen: dict[str, tuple[str, int]] = {}
    anchors_by_file: dict[str, set[str]] = {name: set() for name in order}
    sources: list[SourceFile] = []
    for name in order:
        shown = _display(origin, name)
        text = text_of(name)
        check_control_chars(text, shown)
        skip = 0
        if name == meta_file:
            _, skip = split_front_matter(text, shown)
        elif text.split("\n", 1)[0].rstrip() == "---":
            if meta_file is None:
                message = f"front matter is not allowed: the metadata is already in {METADATA_FILE}; keep one"
            else:
                message = f"front matter is only allowed at the top of the first Markdown file ({meta_file})"
            raise GuidelineFormatError(message, shown, 1)
        for draft in _parse_markdown(text, skip, name, shown):
            if draft.anchor in anchors_seen:
                first_file, first_line = anchors_seen[draft.anchor]
                raise GuidelineFormatError(
                    f'duplicate anchor "{draft.anchor}" (first used at {first_file}:{first_line})',
                    shown,
                    draft.line,
                )
            anchors_seen[draft.anchor] = (shown, draft.line)
            anchors_by_file[name].add(draft.anchor)
            drafts.append(draft)
        # Front matter is metadata, already in `meta`; leaving it out keeps the version out of the hash.
        body_text = "\n".join(text.split("\n")[skip:]) if skip else text
        sources.append(SourceFile(path=name, text=body_text))

    if not any(d.body.strip() for d in drafts):
        raise GuidelineFormatError("empty document: no section has any text", _display(origin, order[0]), 1)
    for draft in drafts:
        for link in draft.links:
            _check_link(link, anchors_seen, anchors_by_file)
    _check_aliases_unique(drafts, origin)
    for label, anchor in meta.label_sections:
        if anchor not in anchors_seen:
            close = difflib.get_close_matches(anchor, list(anchors_seen), n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            raise GuidelineFormatError(
                f'bad label_sections: "{label}" points at "#{anchor}", which no section of this version has{hint}',
                raw.file,
                raw.entry_line("label_sections", label),
            )

    sections = tuple(
        Section(
            anchor=d.anchor,
            title=d.title,
            level=d.level,
            path=d.path,
            body=d.body,
            file=d.file,
            line=d.line,
            position=position,
            links=tuple(dict.fromkeys(link.anchor for link in d.links)),
            aliases=d.aliases,
        )
        for position, d in enumerate(drafts)
    )
    trees, tree_files = _trees(tree_texts, origin, meta.labels, sections, meta.slug, meta.version)
    return GuidelineDocument(
        meta=meta, sections=sections, files=tuple(sources), trees=trees, tree_files=tree_files
    )


def _trees(
    tree_texts: Sequence[tuple[str, str | GuidelineError]],
    origin: str | None,
    labels: Sequence[str],
    sections: Sequence[Section],
    slug: str,
    version: str,
) -> tuple[tuple[Tree, ...], tuple[SourceFile, ...]]:
    """Validate the version's trees against its labels and sections; TreeErrors lists every problem."""
    if not tree_texts:
        return (), ()
    unreadable: list[GuidelineError] = []
    sources: list[TreeSource] = []
    for name, text in tree_texts:
        if isinstance(text, GuidelineError):
            unreadable.append(text)
            continue
        path = f"{TREES_DIR}/{name}"
        sources.append(TreeSource(path=path, shown=_display(origin, path), text=_normalise(text)))
    try:
        trees = load_trees(sources, labels, (s.anchor for s in sections), slug=slug, version=version)
    except TreeErrors as exc:
        raise TreeErrors([*unreadable, *exc.errors]) from None
    if unreadable:
        raise TreeErrors(unreadable)
    return trees, tuple(SourceFile(path=s.path, text=s.text) for s in sources)


def _check_aliases_unique(drafts: Sequence[_Draft], origin: str | None) -> None:
    """An alias names one section: it may not be another section's alias or title in this guideline."""
    titles: dict[str, _Draft] = {}
    for draft in drafts:
        titles.setdefault(alias_key(draft.title), draft)
    owners: dict[str, tuple[_Draft, int]] = {}
    for draft in drafts:
        shown = _display(origin, draft.file)
        for alias, line in zip(draft.aliases, draft.alias_lines, strict=True):
            key = alias_key(alias)
            titled = titles.get(key)
            if titled is not None and titled.anchor != draft.anchor:
                where = f"{_display(origin, titled.file)}:{titled.line}"
                raise GuidelineFormatError(
                    f'alias "{alias}" is the title of section "{titled.anchor}" ({where}): '
                    "an alias must name one section",
                    shown,
                    line,
                )
            if key in owners:
                first, first_line = owners[key]
                where = f"{_display(origin, first.file)}:{first_line}"
                raise GuidelineFormatError(
                    f'alias "{alias}" is also an alias of section "{first.anchor}" ({where}): '
                    "an alias must name one section",
                    shown,
                    line,
                )
            owners[key] = (draft, line)


def _resolve_order(raw: RawMetadata, available: list[str], meta_file: str | None) -> list[str]:
    """The Markdown files of the document, in order."""
    listed = file_order(raw)
    if listed is None:
        if not available:
            raise GuidelineFormatError("empty document: no Markdown files", raw.file, raw.first_line)
        return available
    for name in listed:
        if name not in available:
            raise GuidelineFormatError(f'bad files: "{name}" does not exist', raw.file, raw.line("files"))
    if meta_file is not None and meta_file not in listed:
        raise GuidelineFormatError(
            f'bad files: "{meta_file}" holds the front matter, so it must be listed',
            raw.file,
            raw.line("files"),
        )
    return listed


def _parse_markdown(text: str, skip: int, name: str, shown: str) -> list[_Draft]:
    """Sections of one file; `skip` leading lines are front matter."""
    lines = text.split("\n")
    # Blank the front matter instead of cutting it so token line maps stay file line numbers.
    tokens = _MD.parse("\n" * skip + "\n".join(lines[skip:]))
    # Only top-level headings start sections: one inside a list or quote belongs to that block,
    # and splitting there would tear the block apart.
    heads = [i for i, tok in enumerate(tokens) if tok.type == "heading_open" and tok.level == 0]
    starts = [_map(tokens[i])[0] for i in heads]
    first = starts[0] if starts else len(lines)
    for index in range(skip, first):
        if lines[index].strip():
            raise GuidelineFormatError(
                "text before the first heading: every file must start with a heading", shown, index + 1
            )

    drafts: list[_Draft] = []
    stack: list[tuple[int, str]] = []
    alias_paragraphs: set[int] = set()  # first lines of `Aliases:` paragraphs: their text is no link
    for n, i in enumerate(heads):
        head, inline = tokens[i], tokens[i + 1]
        start, end = _map(head)
        level = int(head.tag[1])
        title, anchor = _title_and_anchor(inline, shown, start + 1)
        if head.markup in ("=", "-") and is_alias_paragraph(lines[start]):
            # `Aliases: …` right above a `---` line is a setext heading in CommonMark, not aliases.
            raise GuidelineFormatError(
                f'heading "{title}" looks like an Aliases line: put a blank line between it and the '
                f"{head.markup * 3} line under it (text underlined with {head.markup * 3} is a heading)",
                shown,
                start + 1,
            )
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        body_end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        aliases: tuple[str, ...] = ()
        alias_lines: tuple[int, ...] = ()
        after = tokens[i + 3] if i + 3 < len(tokens) else None  # heading_open, inline, heading_close, …
        if after is not None and after.type == "paragraph_open" and after.level == 0:
            para_start, para_end = _map(after)
            if para_start < body_end and is_alias_paragraph(lines[para_start]):
                found = read_aliases(lines[para_start:para_end], para_start + 1, title, shown)
                aliases, alias_lines = found.aliases, found.lines
                alias_paragraphs.add(para_start)
                end = para_end  # the aliases are the section's, not part of its body
        body = "\n".join(_trim_blank_lines(lines[end:body_end]))
        path = tuple(t for _, t in stack)
        drafts.append(
            _Draft(
                anchor, title, level, path, body, name, start + 1, aliases=aliases, alias_lines=alias_lines
            )
        )

    for token in tokens:
        if token.type != "inline" or token.map is None or not drafts:
            continue
        if token.map[0] in alias_paragraphs:
            continue
        owner = drafts[bisect.bisect_right(starts, token.map[0]) - 1]
        owner.links.extend(_links(token, name, shown))
    return drafts


def _map(token: Token) -> tuple[int, int]:
    if token.map is None:  # block tokens from the CommonMark parser always have one
        raise AssertionError(f"markdown-it token {token.type} has no line map")
    return token.map[0], token.map[1]


def _title_and_anchor(inline: Token, shown: str, line: int) -> tuple[str, str]:
    """Plain-text title and anchor of a heading."""
    _, explicit = split_explicit_anchor(inline.content)
    title = " ".join(inline_text(inline.children or []).split())
    if explicit is not None:
        title = split_explicit_anchor(title)[0]
        if not is_valid_explicit_anchor(explicit):
            raise GuidelineFormatError(
                f'bad explicit anchor "{{#{explicit}}}": use lowercase letters, digits, "-" and "_", '
                "starting with a letter or digit",
                shown,
                line,
            )
    if not title:
        raise GuidelineFormatError("heading has no text", shown, line)
    anchor = explicit or slugify(title)
    if not anchor:
        raise GuidelineFormatError(
            f'heading "{title}" has no letters or digits to make an anchor from; '
            f"add an explicit one: {title} {{#some-name}}",
            shown,
            line,
        )
    return title, anchor


def _trim_blank_lines(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _links(inline: Token, name: str, shown: str) -> list[_Link]:
    """Internal anchor links in one inline token; external URLs and plain file links are skipped."""
    assert inline.map is not None
    line = inline.map[0] + 1
    found: list[_Link] = []
    for child in inline.children or []:
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
            link = _internal_link(href, name, shown, line)
            if link is not None:
                found.append(link)
    return found


def _internal_link(href: str, name: str, shown: str, line: int) -> _Link | None:
    """Parse `#anchor` or `file.md#anchor`; None for anything this format does not check."""
    if "#" not in href or href.startswith("//") or _has_scheme(href):
        return None
    path, fragment = href.split("#", 1)
    path = unquote(path).removeprefix("./")
    anchor = unquote(fragment)
    if not path:
        return _Link(href, anchor, None, shown, line)
    if not path.endswith(".md") or not anchor:
        return None
    return _Link(href, anchor, path, shown, line)


def _has_scheme(href: str) -> bool:
    scheme, sep, _ = href.partition(":")
    return bool(sep) and scheme[:1].isalpha() and all(c.isalnum() or c in "+.-" for c in scheme)


def _check_link(
    link: _Link, anchors: Mapping[str, tuple[str, int]], anchors_by_file: Mapping[str, set[str]]
) -> None:
    """Raise when a link points to no section of this guideline."""
    label = f'dangling anchor link "{unquote(link.href)}"'
    if link.target_file is None:
        if link.anchor not in anchors:
            raise GuidelineFormatError(
                f'{label}: no section has anchor "{link.anchor}"', link.file, link.line
            )
        return
    if link.target_file not in anchors_by_file:
        raise GuidelineFormatError(
            f"{label}: {link.target_file} is not a file of this guideline", link.file, link.line
        )
    if link.anchor not in anchors_by_file[link.target_file]:
        where = f" (it is in {anchors[link.anchor][0]})" if link.anchor in anchors else ""
        raise GuidelineFormatError(
            f'{label}: {link.target_file} has no section with anchor "{link.anchor}"{where}',
            link.file,
            link.line,
        )
