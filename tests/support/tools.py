"""System tools some tests need (Graphviz's dot): skipped on a developer's machine without them,
a failure when CI=true (.ci/run installs them)."""

from __future__ import annotations

import os
import shutil

import pytest


def needs(tool: str, package: str) -> pytest.MarkDecorator:
    """A mark for tests that run `tool`: fail under CI=true when it is missing, else skip."""
    missing = shutil.which(tool) is None
    if missing and os.environ.get("CI") == "true":
        # A usefixtures mark would hide the cause; failing at collection names it.
        raise RuntimeError(f"{tool} is missing but CI=true: .ci/run installs Debian's {package}")
    return pytest.mark.skipif(missing, reason=f"{tool} not installed (apt-get install -y {package})")
