"""The HTML report in headless Chromium: every chart image loads (screenshot kept for a human look)."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from bot.jobs.digest import render
from reports.digest import build_digest
from tests.digest.conftest import GENERATED

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Runs after load: marks <body> once every image decoded with a real size.
PROBE = """<script>
window.addEventListener('load', function () {
  var imgs = Array.from(document.images);
  var ok = imgs.length > 0 && imgs.every(function (i) { return i.complete && i.naturalWidth > 0; });
  document.body.setAttribute('data-images', ok ? 'loaded:' + imgs.length : 'broken');
});
</script>"""

pytestmark = pytest.mark.browser


def _chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing but CI=true: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium); mandatory when CI=true")
    return CHROMIUM


def _run(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    profile = tmp / "profile"
    return subprocess.run(
        [_chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_report_opens_offline_with_every_chart(data, specs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    df, gold = data
    digest = build_digest(df, gold, specs, None, release_dates=[date(2026, 10, 5)], n_boot=200)
    html = render(digest, "html", generated=GENERATED)
    n_imgs = html.count("<img ")
    report = tmp_path / "report.html"
    report.write_text(html, encoding="utf-8")
    shot = tmp_path / "report.png"
    _run([f"--screenshot={shot}", "--window-size=1400,4000", report.as_uri()], tmp_path)
    assert shot.stat().st_size > 50_000  # a blank page is a few KB
    keep = os.environ.get("DIGEST_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
    probed = tmp_path / "probed.html"
    probed.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = _run(["--dump-dom", "--virtual-time-budget=5000", probed.as_uri()], tmp_path).stdout
    assert f'data-images="loaded:{n_imgs}"' in dom
