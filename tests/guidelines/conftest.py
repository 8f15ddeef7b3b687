"""Fixtures writing small guideline folders for the guidelines tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from guidelines.errors import GuidelineError
from guidelines.parse import load_guideline

DEFAULT_TOML = """\
slug = "toxicity"
title = "Toxicity"
version = "1.0.0"
labels = ["toxic", "not-toxic"]
scale = "nominal"
"""

# Relative to tmp_path (the tests chdir there), so error messages show exactly this prefix.
FOLDER = "g/toxicity/v1.0.0"

MakeGuideline = Callable[..., Path]


@pytest.fixture
def make_guideline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MakeGuideline:
    """Return a function writing a guideline folder and returning its relative path."""
    monkeypatch.chdir(tmp_path)

    def make(
        files: dict[str, str | bytes],
        toml: str | None = DEFAULT_TOML,
        folder: str = FOLDER,
    ) -> Path:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        if toml is not None:
            (path / "guideline.toml").write_bytes(toml.encode("utf-8"))
        for name, content in files.items():
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            (path / name).write_bytes(data)
        return path

    return make


@pytest.fixture
def load_error(make_guideline: MakeGuideline) -> Callable[..., GuidelineError]:
    """Return a function writing a guideline, loading it and returning the error it must raise."""

    def fail(files: dict[str, str | bytes], toml: str | None = DEFAULT_TOML, version: str | None = None):
        folder = make_guideline(files, toml)
        with pytest.raises(GuidelineError) as info:
            load_guideline(folder, version)
        return info.value

    return fail
