"""`annobot trees render`: a stored decision tree as Mermaid, DOT or SVG (a shell over bot.jobs.trees_render).

Registered in the `trees` group (bot/cli/trees_cmd.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.errors import InputError
from bot.jobs.trees_render import FORMATS, render_tree

if TYPE_CHECKING:
    from bot.cli.state import CliState
    from guidelines.trees.model import Tree

_REF = re.compile(r"(?P<slug>[^/@\s]+)/(?P<tree>[^/@\s]+)(?:@(?P<version>[^/@\s]+))?")


def parse_tree_ref(ref: str) -> tuple[str, str, str | None]:
    """`SLUG/TREE[@VERSION]` -> (slug, tree id, version or None for the current one)."""
    m = _REF.fullmatch(ref.strip())
    if not m:
        raise InputError(
            f"expected SLUG/TREE or SLUG/TREE@VERSION, e.g. product-sentiment/sarcasm, got {ref!r}"
        )
    return m["slug"], m["tree"], m["version"]


def _stored_tree(state: CliState, slug: str, tree_id: str, version: str | None) -> Tree:
    """The tree `slug/tree_id` at `version` (the current version when None), from the store."""
    from bot.store.trees import get_tree

    with state.session() as session:
        return get_tree(session, slug, tree_id, version)


@click.command("render")
@click.argument("ref", metavar="SLUG/TREE[@VERSION]")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="mermaid", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
@click.pass_obj
def render(state: CliState, ref: str, fmt: str, out: Path | None) -> None:
    """Draw a decision tree as Mermaid, Graphviz DOT or SVG (SVG needs Graphviz's `dot`).

    Example: annobot trees render product-sentiment/sarcasm@1.0.0 --format svg --out sarcasm.svg
    """
    slug, tree_id, version = parse_tree_ref(ref)
    text = render_tree(_stored_tree(state, slug, tree_id, version), fmt)
    if out is None:
        click.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}")
