"""`annobot guidelines` end to end in-process: bad input exits 2, names file and line, writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.store.db import make_engine
from tests.conftest import row_counts
from tests.support.guidelines import MINI_RULES, MINI_TOML, mini, run_cli, write_guideline


def _counts(db_url: str) -> dict[str, int]:
    engine = make_engine(db_url)
    try:
        return row_counts(engine)
    finally:
        engine.dispose()


def _bad_cases(root: Path) -> list[tuple[str, Path, str]]:
    """(case, folder, expected message fragment including file and line)."""
    toml = MINI_TOML.format(version="2.0.0")
    cases = []

    f = write_guideline(root, "front", {"rules.md": "---\nslug: mini\ntitle: [unclosed\n---\n# A\n\ntext\n"})
    cases.append(("malformed front matter", f, f"{f}/rules.md:"))

    f = write_guideline(root, "scale", {"rules.md": MINI_RULES}, toml.replace('"nominal"', '"likert"'))
    cases.append(("unknown scale", f, f"{f}/guideline.toml:5: "))

    f = write_guideline(root, "dup", {"rules.md": MINI_RULES + "\n## Emoji\n\nAgain.\n"}, toml)
    cases.append(
        ("duplicate anchor", f, f'{f}/rules.md:13: duplicate anchor "emoji" (first used at {f}/rules.md:9)')
    )

    f = write_guideline(root, "dangling", {"rules.md": MINI_RULES + "\nSee [x](#nowhere).\n"}, toml)
    cases.append(("dangling link", f, f"{f}/rules.md:13: "))

    f = write_guideline(root, "empty", {"rules.md": "\n\n"}, toml)
    cases.append(("empty document", f, "empty document"))

    f = write_guideline(root, "latin1", {"rules.md": "# A\n\nok\n\ncaf\xe9\n".encode("latin-1")}, toml)
    cases.append(("non-UTF-8", f, f"{f}/rules.md:5: "))

    big = "# Big\n\n" + ("lorem ipsum dolor sit amet\n" * 80_000)
    f = write_guideline(root, "big", {"rules.md": big}, toml)
    cases.append(("over 2 MB", f, f"{f}/rules.md:77675: file is too large: 2160007 bytes, the limit is 2 MB"))
    return cases


@pytest.mark.parametrize(
    "case",
    [
        "malformed front matter",
        "unknown scale",
        "duplicate anchor",
        "dangling link",
        "empty document",
        "non-UTF-8",
        "over 2 MB",
    ],
)
def test_bad_guideline_exits_2_names_file_and_line_and_writes_nothing(
    db_url: str, tmp_path: Path, case: str
) -> None:
    assert run_cli(db_url, "guidelines", "publish", str(mini(tmp_path))).exit_code == 0
    folder, expected = next((f, e) for c, f, e in _bad_cases(tmp_path) if c == case)
    before = _counts(db_url)
    result = run_cli(db_url, "guidelines", "publish", str(folder))
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output  # one clear line
    assert expected in lines[0], lines[0]
    assert _counts(db_url) == before


def test_version_not_greater_exits_2(db_url: str, tmp_path: Path) -> None:
    assert run_cli(db_url, "guidelines", "publish", str(mini(tmp_path, "1.2.0"))).exit_code == 0
    before = _counts(db_url)
    result = run_cli(db_url, "guidelines", "publish", str(mini(tmp_path, "1.1.0", MINI_RULES + "\nx\n")))
    assert result.exit_code == 2
    assert "version 1.1.0 is not greater than the latest published version 1.2.0" in result.output
    assert _counts(db_url) == before


def test_conflicting_content_exits_2_and_identical_is_noop(db_url: str, tmp_path: Path) -> None:
    assert run_cli(db_url, "guidelines", "publish", str(mini(tmp_path))).exit_code == 0
    before = _counts(db_url)
    same = run_cli(db_url, "guidelines", "publish", str(mini(tmp_path, name="again")))
    assert same.exit_code == 0 and "unchanged" in same.output
    changed = run_cli(
        db_url, "guidelines", "publish", str(mini(tmp_path, rules=MINI_RULES + "\nx\n", name="x"))
    )
    assert changed.exit_code == 2 and "already published with different content" in changed.output
    assert _counts(db_url) == before


def test_one_bad_folder_among_several_publishes_nothing(db_url: str, tmp_path: Path) -> None:
    good = mini(tmp_path)
    bad = write_guideline(
        tmp_path, "bad", {"rules.md": MINI_RULES + "\nSee [x](#gone).\n"}, MINI_TOML.format(version="1.1.0")
    )
    before = _counts(db_url)
    result = run_cli(db_url, "guidelines", "publish", str(good), str(bad))
    assert result.exit_code == 2
    assert _counts(db_url) == before


def test_version_override_and_notes(db_url: str, tmp_path: Path) -> None:
    out = run_cli(
        db_url,
        "guidelines",
        "publish",
        str(mini(tmp_path)),
        "--version",
        "3.0.0",
        "--notes",
        "hotfix",
        "--json",
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)[0]["version"] == "3.0.0"
    bad = run_cli(db_url, "guidelines", "publish", str(mini(tmp_path, name="x")), "--version", "3.0")
    assert bad.exit_code == 2 and "3.0" in bad.output


def test_list_show_and_diff(db_url: str, tmp_path: Path) -> None:
    run_cli(db_url, "guidelines", "publish", str(mini(tmp_path)))
    v11 = (
        MINI_RULES.replace("decides nothing", "never decides") + "\n## Questions\n\nA question is Neutral.\n"
    )
    run_cli(db_url, "guidelines", "publish", str(mini(tmp_path, "1.1.0", v11)))
    listed = json.loads(run_cli(db_url, "guidelines", "list", "--json").output)
    assert [(g["slug"], g["current_version"], g["versions"]) for g in listed] == [
        ("mini", "1.1.0", ["1.0.0", "1.1.0"])
    ]
    section = run_cli(db_url, "guidelines", "show", "mini@1.0.0", "sarcasm")
    assert section.exit_code == 0 and section.output.startswith("## Sarcasm\n\nSarcastic praise")
    whole = run_cli(db_url, "guidelines", "show", "mini")
    assert "A question is Neutral." in whole.output
    diff = json.loads(run_cli(db_url, "guidelines", "diff", "mini", "1.0.0", "1.1.0", "--json").output)
    assert {(e["anchor"], e["kind"]) for e in diff["entries"]} == {
        ("emoji", "changed"),
        ("questions", "added"),
    }
    text = run_cli(db_url, "guidelines", "diff", "mini", "1.0.0", "1.1.0").output
    assert "+An emoji alone never decides" in text
    missing = run_cli(db_url, "guidelines", "show", "mini@9.9.9")
    assert missing.exit_code == 2 and "mini has no version 9.9.9 (published: 1.0.0, 1.1.0)" in missing.output
    nosec = run_cli(db_url, "guidelines", "show", "mini", "nope")
    assert nosec.exit_code == 2 and "no section '#nope'" in nosec.output
