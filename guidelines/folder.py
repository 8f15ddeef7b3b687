"""A guideline folder is read on its own: no symbolic link in it may lead outside it."""

from __future__ import annotations

import os
from pathlib import Path

from guidelines.errors import GuidelineFormatError


def check_symlinks(folder: Path) -> Path:
    """Refuse a symbolic link anywhere under `folder` (any depth) that resolves outside it, or dangles.

    Links that stay inside the folder are accepted (one copy of a shared file under two names).
    The folder itself may be a link (`current -> v1.1.0`): the check starts from where it leads,
    which is returned (the root that `require_inside` checks each read file against).
    """
    root = Path(os.path.realpath(folder))
    # os.walk does not descend into linked directories; each link is checked where it stands.
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in sorted([*dirnames, *filenames]):
            path = Path(dirpath) / name
            if not path.is_symlink():
                continue
            require_inside(path, root)
            target = Path(os.path.realpath(path))
            if not target.exists():
                raise GuidelineFormatError(f"broken symbolic link (to {target})", str(path))
    return root


def require_inside(path: Path, root: Path) -> None:
    """Refuse `path` when it resolves outside `root` (checked again as each file is read, in case a
    link changed after the walk)."""
    target = Path(os.path.realpath(path))
    if not target.is_relative_to(root):
        raise GuidelineFormatError(
            f"symbolic link leads outside the guideline folder (to {target}): "
            "publishing reads only the folder; copy the file in instead",
            str(path),
        )
