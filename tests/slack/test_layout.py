"""A Slack feature is a folder: only app.py registers it, and only its own job builds with it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SLACK = ROOT / "bot" / "slack"
# Folders of bot/slack that are shared building blocks, not features.
SHARED = {"blocks"}
# Known imports of a feature from outside it, each waiting for its owner to move it.
PENDING = {
    # Section links: should import bot.slack.blocks.section_link instead.
    ("bot/slack/digest/builder.py", "bot.slack.guide.builder"),
    # `annobot digest --format blocks` renders the digest's Block Kit.
    ("bot/cli/digest_cmd.py", "bot.slack.digest.builder"),
    # The `/quality schedule` half of the quality feature's job, split off bot/jobs/quality.py for size:
    # should become one job package, or its blocks a feature folder of their own.
    ("bot/jobs/quality_schedule.py", "bot.slack.quality.builder"),
}


def _features() -> set[str]:
    return {p.name for p in SLACK.iterdir() if p.is_dir() and (p / "__init__.py").exists()} - SHARED


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _allowed(importer: str, feature: str, module: str) -> bool:
    if importer.startswith(f"bot/slack/{feature}/"):
        return True
    if importer == "bot/slack/app.py":
        return module == f"bot.slack.{feature}.listeners"  # registration only
    if importer == f"bot/jobs/{feature}.py":
        return module == f"bot.slack.{feature}.builder"  # a job builds its feature's blocks
    return (importer, module) in PENDING


def test_features_are_imported_only_by_their_registration_and_their_job() -> None:
    features = _features()
    assert {"guide", "home", "mentions"} <= features
    wrong = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        importer = path.relative_to(ROOT).as_posix()
        for module in _imports(path):
            parts = module.split(".")
            # bot.slack.FEATURE.MODULE: a feature's package itself holds nothing but a docstring.
            if len(parts) < 4 or parts[:2] != ["bot", "slack"] or parts[2] not in features:
                continue
            feature_module = ".".join(parts[:4])
            if not _allowed(importer, parts[2], feature_module):
                wrong.append(f"{importer} imports {feature_module}")
    assert wrong == []


def test_no_feature_imports_the_app() -> None:
    for feature in _features():
        for path in (SLACK / feature).rglob("*.py"):
            assert "bot.slack.app" not in _imports(path), path
