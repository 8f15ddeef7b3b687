"""A published mini guideline (Positive/Negative/Neutral) and a project 'reviews' using it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.guidelines import mini, run_cli


@pytest.fixture
def project(db_url: str, tmp_path: Path) -> str:
    """db_url with guideline 'mini' published and project 'reviews' added."""
    assert run_cli(db_url, "guidelines", "publish", str(mini(tmp_path))).exit_code == 0
    out = run_cli(db_url, "projects", "add", "reviews", "--guideline", "mini", "--channel", "#q")
    assert out.exit_code == 0, out.output
    return db_url
