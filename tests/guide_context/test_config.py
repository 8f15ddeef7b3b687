"""`channels` of a [[projects]] table: Slack channel ids only, refused with the key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config
from bot.errors import ConfigError


def _load(tmp_path: Path, lines: str) -> object:
    path = tmp_path / "annobot.toml"
    path.write_text(f'[[projects]]\nname = "p"\nguideline = "g"\n{lines}\n', encoding="utf-8")
    return load_config(path, env={})


def test_channel_ids_are_kept_in_order_without_repeats(tmp_path: Path) -> None:
    [project] = _load(tmp_path, 'channels = ["C0123ABC", "G0456DEF", "C0123ABC"]').projects  # type: ignore[attr-defined]
    assert project.channels == ("C0123ABC", "G0456DEF")


@pytest.mark.parametrize("bad", ['["#labeling"]', '["c0123"]', '["D0123ABC"]', "[1]", '"C0123ABC"'])
def test_anything_else_is_refused_naming_the_key(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, f"channels = {bad}")
    assert "projects[0].channels" in exc.value.message
