"""Charts drawn from several threads at once (the scheduler's) are the same PNGs as drawn one by one."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from reports.digest import TaskSpec, build_digest
from reports.render.charts import all_charts
from tests.conftest import ROOT
from tests.digest.conftest import GRADES, SPECIES, two_tasks

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
THREADS = 4


@pytest.fixture(scope="module")
def digest_json():  # type: ignore[no-untyped-def]
    df, gold = two_tasks()
    specs = {"species": TaskSpec(SPECIES), "grade": TaskSpec(GRADES, "ordinal")}
    return build_digest(df, gold, specs, None, release_dates=[date(2026, 10, 5)], n_boot=50).to_json()


def test_charts_from_threads_match_serial_bytes(digest_json) -> None:  # type: ignore[no-untyped-def]
    serial = [(c.name, c.png) for c in all_charts(digest_json)]
    assert len(serial) >= 5 and all(png.startswith(PNG_SIGNATURE) for _, png in serial)
    start = threading.Barrier(THREADS)

    def draw() -> list[tuple[str, bytes]]:
        start.wait()  # every thread draws at the same moment
        return [(c.name, c.png) for c in all_charts(digest_json)]

    with ThreadPoolExecutor(THREADS) as pool:
        results = [f.result() for f in [pool.submit(draw) for _ in range(THREADS)]]
    for result in results:
        assert [name for name, _ in result] == [name for name, _ in serial]
        assert result == serial  # byte for byte


def test_drawing_never_imports_pyplot() -> None:
    # pyplot keeps a global registry of open figures and a current figure: drawing must not touch it.
    code = (
        "import sys\n"
        "from reports.render.charts import all_charts\n"
        "from tests.digest.conftest import two_tasks\n"
        "from reports.digest import TaskSpec, build_digest\n"
        "from tests.digest.conftest import SPECIES, GRADES\n"
        "df, gold = two_tasks()\n"
        "specs = {'species': TaskSpec(SPECIES), 'grade': TaskSpec(GRADES, 'ordinal')}\n"
        "assert all_charts(build_digest(df, gold, specs, None, n_boot=0).to_json())\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
