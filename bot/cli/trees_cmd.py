"""`annobot trees`: decision trees of guidelines (check)."""

from __future__ import annotations

from pathlib import Path

import click

from bot.errors import InputError


@click.group()
def trees() -> None:
    """Decision trees for hard cases, authored beside the guideline: check them."""


def version_folders(folder: Path) -> list[Path]:
    """`folder` when it is a guideline version folder, else its version subfolders (sorted by name)."""
    if _is_version(folder):
        return [folder]
    found = sorted(
        p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and _is_version(p)
    )
    if not found:
        raise InputError(
            f"{folder}: not a guideline version folder (no guideline.toml or Markdown file), "
            "and no subfolder is one"
        )
    return found


def _is_version(folder: Path) -> bool:
    return (folder / "guideline.toml").is_file() or any(
        p.suffix == ".md" and p.is_file() and not p.name.startswith(".") for p in folder.iterdir()
    )


@trees.command("check")
@click.argument(
    "dirs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
def check(dirs: tuple[Path, ...]) -> None:
    """Validate the decision trees (trees/*.yaml) of guideline version folders DIR…, for CI.

    Each DIR is a version folder, or a guideline folder whose subfolders are versions. The trees
    are checked as publishing checks them, against that version's labels and sections, without a
    database: every problem is listed as FILE:LINE: message, and the exit code is 2 when there is any.

    Example: annobot trees check examples/guidelines/product-sentiment
    """
    from guidelines.errors import GuidelineError, TreeErrors
    from guidelines.parse import load_guideline

    folders = [v for d in dirs for v in version_folders(d)]
    errors: list[GuidelineError] = []
    for folder in folders:
        try:
            doc = load_guideline(folder)
        except TreeErrors as exc:
            errors.extend(exc.errors)
            continue
        except GuidelineError as exc:
            errors.append(exc)
            continue
        count = len(doc.trees)
        click.echo(f"ok: {count} tree{'s' if count != 1 else ''} in {folder}")
    if errors:
        raise TreeErrors(errors)
