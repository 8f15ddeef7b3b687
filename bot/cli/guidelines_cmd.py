"""`annobot guidelines`: publish, search, list, show, diff."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.state import CliState
from bot.errors import InputError

# The store, the parser and rich are imported inside each command, so that `annobot guidelines list`
# loads only SQLAlchemy and the models (tests/cli/test_startup.py checks the module set).
# bot.store.search.MAX_LIMIT; importing it here would load the search code for every command.
MAX_LIMIT = 50


@click.group()
def guidelines() -> None:
    """Versioned guidelines: publish, search, show, diff."""


@guidelines.command("publish")
@click.argument(
    "folders", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option("--version", "version", help="Publish under this semver instead of the metadata's version.")
@click.option("--notes", default="", help="Release notes (default: the changelog from the metadata).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def publish(
    state: CliState, folders: tuple[Path, ...], version: str | None, notes: str, as_json: bool
) -> None:
    """Validate guideline FOLDERS and store each as an immutable version.

    Several folders are validated first and published in one transaction, each guideline's
    versions in semver order. Identical content already published is a no-op.

    Example: annobot guidelines publish examples/guidelines/product-sentiment/v1.0.0
    """
    from bot.cli.output import emit_json
    from bot.store import guidelines as store
    from guidelines.errors import GuidelineError, TreeErrors
    from guidelines.metadata import CONTROL_RE
    from guidelines.parse import load_guideline
    from guidelines.semver import parse_version

    if version and len(folders) > 1:
        raise InputError("--version applies to a single folder; publish the folders one at a time")
    control = CONTROL_RE.search(notes)
    if control:
        # The notes are stored with the version: the same rule as the guideline's own text.
        raise InputError(f"--notes: control character U+{ord(control.group()):04X} in text")
    docs = []
    errors: list[GuidelineError] = []
    for folder in folders:
        # Every folder is read, so all the problems of a publish (decision trees above all) are listed
        # at once; nothing is stored when there is any.
        try:
            docs.append(load_guideline(folder, version))
        except TreeErrors as exc:
            errors.extend(exc.errors)
        except GuidelineError as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else TreeErrors(errors)
    docs.sort(key=lambda d: (d.meta.slug, parse_version(d.meta.version)))
    with state.session() as session:
        results = [store.publish(session, doc, notes=notes) for doc in docs]
    if as_json:
        emit_json([r.__dict__ for r in results])
        return
    for r in results:
        if r.status == "unchanged":
            click.echo(f"unchanged: {r.guideline}@{r.version} is already published with identical content")
        else:
            prev = f", previous {r.previous}" if r.previous else ""
            trees = f", {r.trees} decision tree{'s' if r.trees != 1 else ''}" if r.trees else ""
            click.echo(f"published {r.guideline}@{r.version} ({r.sections} sections{trees}{prev})")


@guidelines.command("search")
@click.argument("query")
@click.option("--guideline", "slug", help="Only this guideline (slug).")
@click.option("--version", help="Search this version instead of the current ones.")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, MAX_LIMIT))
@click.option("--json", "as_json", is_flag=True, help="Print results as a JSON list.")
@click.pass_obj
def search(
    state: CliState, query: str, slug: str | None, version: str | None, limit: int, as_json: bool
) -> None:
    """Find the sections that answer QUERY, best first.

    Words are matched with stemming; "quoted phrases" match as phrases; -word excludes.

    Example: annobot guidelines search "is sarcasm negative?" --json
    """
    from bot.cli.output import emit_json, hit_json, print_hits
    from bot.store import guidelines as store
    from bot.store.search import search_sections

    with state.session() as session:
        # An unknown guideline or version is an error (exit 2), as in `show` and `diff`, not "no match".
        store.require_known(session, slug, version)
        result = search_sections(session, query, guideline=slug, version=version, limit=limit)
    if as_json:
        emit_json([hit_json(h) for h in result.hits])
    else:
        print_hits(result.hits, result.total)


@guidelines.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def list_(state: CliState, as_json: bool) -> None:
    """List published guidelines with their current version.

    Example: annobot guidelines list --json
    """
    from bot.cli.output import emit_json
    from bot.store import guidelines as store

    with state.session() as session:
        rows = store.list_guidelines(session)
    if as_json:
        emit_json([r.__dict__ for r in rows])
        return
    if not rows:
        click.echo("no guidelines published yet: annobot guidelines publish FOLDER")
    for r in rows:
        click.echo(
            f"{r.slug:24} {r.current_version:10} {r.published_at:%Y-%m-%d}  {r.sections:3} sections  "
            f"{r.title}  (versions: {', '.join(r.versions)})"
        )


def _split_ref(ref: str) -> tuple[str, str | None]:
    slug, _, version = ref.partition("@")
    return slug, (version or None)


@guidelines.command("show")
@click.argument("ref", metavar="SLUG[@VERSION]")
@click.argument("anchor", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def show(state: CliState, ref: str, anchor: str | None, as_json: bool) -> None:
    """Print a whole guideline version, or one section by ANCHOR, as Markdown.

    Example: annobot guidelines show product-sentiment@1.0.0 sarcasm
    """
    from bot.cli.output import emit_json
    from bot.store import guidelines as store
    from guidelines.render import section_markdown

    slug, version = _split_ref(ref)
    with state.session() as session:
        if anchor:
            row, section = store.get_section(session, slug, anchor.lstrip("#"), version)
            markdown = section_markdown(section)
            payload = {
                "guideline": slug,
                "version": row.version,
                "anchor": section.anchor,
                "title": section.title,
                "path": section.path,
                "aliases": list(section.aliases),
                "markdown": markdown,
            }
        else:
            row = store.get_version(session, slug, version)
            markdown = "\n\n".join(f.text.rstrip("\n") for f in row.files) + "\n"
            payload = {
                "guideline": slug,
                "version": row.version,
                "title": row.title,
                "labels": row.labels,
                "scale": row.scale,
                "sections": [s.anchor for s in row.sections],
                "aliases": {s.anchor: list(s.aliases) for s in row.sections if s.aliases},
                "markdown": markdown,
            }
    if as_json:
        emit_json(payload)
    else:
        click.echo(markdown, nl=False)


@guidelines.command("diff")
@click.argument("slug")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def diff(state: CliState, slug: str, old: str, new: str, as_json: bool) -> None:
    """Section-level differences between versions OLD and NEW of a guideline.

    Example: annobot guidelines diff product-sentiment 1.0.0 1.1.0
    """
    from bot.cli.output import diff_json, emit_json, print_diff
    from bot.store import guidelines as store

    with state.session() as session:
        result = store.diff_versions(session, slug, old, new)
    if as_json:
        emit_json(diff_json(result))
    else:
        print_diff(result)
