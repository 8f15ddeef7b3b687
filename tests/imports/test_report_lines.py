"""A refused file's report reaches the terminal as lines: one per problem, each escaped."""

from __future__ import annotations

from pathlib import Path

from tests.support.guidelines import run_cli


def test_the_report_keeps_its_lines_and_escapes_their_text(project: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"item_id,annotator,label\n1,a,Posi\x00tive\n2,b,\x1b[31mRed\n")
    result = run_cli(project, "import", "annotations", str(path), "--project", "reviews")
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert "refused, 2 invalid rows" in lines[0]
    assert any(ln.strip().startswith("line 2:") for ln in lines[1:]), lines
    assert any(ln.strip().startswith("line 3:") for ln in lines[1:]), lines
    # What the file held is shown escaped: no NUL and no terminal escape reaches the terminal.
    assert "\x00" not in result.output and "\x1b" not in result.output
