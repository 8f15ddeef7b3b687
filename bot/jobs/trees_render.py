"""A decision tree as Mermaid, DOT or SVG: the body of `annobot trees render` (the shell loads the tree).

SVG comes from Graphviz's `dot` (Debian package `graphviz`), run as a subprocess with a timeout; that is
why this lives in the shell and not beside the pure renderers in `guidelines/trees/render.py`.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Literal

from bot.errors import AnnobotError, ConfigError, InputError
from guidelines.trees.model import Tree
from guidelines.trees.render import to_dot, to_mermaid

Format = Literal["mermaid", "dot", "svg"]
FORMATS: tuple[Format, ...] = ("mermaid", "dot", "svg")
# A 500-node tree lays out in well under a second; a minute means something is wrong with Graphviz.
DOT_TIMEOUT = 60.0
MISSING_DOT = "Graphviz's `dot` is not installed: apt-get install graphviz"


class GraphvizError(AnnobotError):
    """`dot` ran but failed (a non-zero exit or the timeout); the message carries its stderr."""


def render_svg(dot_text: str, timeout: float = DOT_TIMEOUT) -> str:
    """SVG of a DOT graph through `dot -Tsvg`; ConfigError when `dot` is missing, GraphvizError on failure."""
    exe = shutil.which("dot")
    if exe is None:
        raise ConfigError(MISSING_DOT)
    try:
        proc = subprocess.run(
            [exe, "-Tsvg"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GraphvizError(f"Graphviz's `dot` did not finish within {timeout:g} s") from None
    except OSError as exc:  # found on PATH but not runnable (permissions, a broken binary)
        raise ConfigError(f"Graphviz's `dot` at {exe} cannot run: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", errors="replace").strip() or "no message"
        raise GraphvizError(f"Graphviz's `dot` failed (exit {proc.returncode}): {detail}")
    return proc.stdout.decode("utf-8")


def render_tree(tree: Tree, fmt: str) -> str:
    """The tree as `fmt`: Mermaid or DOT text (pure), or SVG through Graphviz."""
    if fmt == "mermaid":
        return to_mermaid(tree)
    if fmt == "dot":
        return to_dot(tree)
    if fmt == "svg":
        return render_svg(to_dot(tree))
    raise InputError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
