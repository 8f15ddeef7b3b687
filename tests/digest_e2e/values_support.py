"""Writing guidelines and CSV files for the real-path digest tests (publish → project → import → digest)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.support.guidelines import run_cli, write_guideline

RULES = "# Overview\n\nLabel each item.\n\n## Details\n\nRead the whole item first.\n"


def guideline(
    root: Path, slug: str, version: str, labels: Sequence[str], scale: str = "nominal", name: str = ""
) -> Path:
    """A one-file guideline folder declaring `labels` on `scale`."""
    toml = (
        f'slug = "{slug}"\ntitle = "{slug}"\nversion = "{version}"\n'
        f'labels = {json.dumps(list(labels))}\nscale = "{scale}"\n'
    )
    return write_guideline(root, name or f"{slug}-{version}", {"rules.md": RULES}, toml)


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    """A CSV file with `header` and `rows`."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def ok(db_url: str, *args: str) -> str:
    """Run the CLI and require exit 0."""
    result = run_cli(db_url, *args)
    assert result.exit_code == 0, result.output
    return result.output


def digest_json(db_url: str, project: str) -> dict[str, Any]:
    """`annobot digest --all --format json` parsed."""
    return json.loads(ok(db_url, "digest", "--project", project, "--all", "--format", "json"))
