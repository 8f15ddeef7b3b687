"""Issue 13 item 6 through the real path: the pairable minimum and the ordinal kappa weights are settings,
so a lead can reproduce published examples on a small calibration set with `annobot digest`.

Krippendorff (2011), example C (4 observers x 12 units with gaps): ordinal alpha 0.815. SAS PROC FREQ's
agreement example (2 readers, 14 items, 3 ordered grades): weighted kappa 0.4701 with linear
(Cicchetti-Allison) weights, 0.4502 with quadratic ones (statsmodels and sklearn give the same).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.digest_e2e.values_support import guideline, ok, write_csv
from tests.support.guidelines import run_cli

nan = math.nan
KRIPP_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]
SAS_3X3 = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]  # reader A rows, reader B columns
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
HEADER = ["item_id", "annotator", "label", "created_at"]


def _ts(i: int) -> str:
    return (T0 + timedelta(minutes=i)).isoformat()


def _project(db_url: str, tmp: Path, labels: list[str], rows: list[list[str]]) -> None:
    ok(db_url, "guidelines", "publish", str(guideline(tmp, "g", "1.0.0", labels, "ordinal")))
    ok(db_url, "projects", "add", "calib", "--guideline", "g")
    write_csv(tmp / "a.csv", HEADER, rows)
    ok(db_url, "import", "annotations", str(tmp / "a.csv"), "--project", "calib")


def _digest(db_url: str, *args: str) -> dict:
    import json

    return json.loads(ok(db_url, *args, "digest", "--project", "calib", "--all", "--format", "json"))


def _kripp_rows() -> list[list[str]]:
    return [
        [f"u{unit:02d}", f"obs-{o}", str(int(value)), _ts(unit)]
        for o, row in enumerate(KRIPP_2011)
        for unit, value in enumerate(row)
        if not math.isnan(value)
    ]


def _sas_rows() -> list[list[str]]:
    rows, n = [], 0
    for a, row in enumerate(SAS_3X3):
        for b, count in enumerate(row):
            for _ in range(count):
                rows += [[f"i{n:02d}", "reader-a", str(a), _ts(n)], [f"i{n:02d}", "reader-b", str(b), _ts(n)]]
                n += 1
    return rows


def test_a_small_calibration_set_reproduces_krippendorff_2011(db_url: str, tmp_path: Path) -> None:
    _project(db_url, tmp_path, list("12345"), _kripp_rows())
    default = _digest(db_url)
    assert default["settings"] == {"min_pairable": 20, "ordinal_weights": "quadratic"}
    (task,) = default["tasks"]
    assert task["agreement"]["krippendorff_alpha"] is None
    assert "minimum 20" in task["agreement"]["reasons"]["krippendorff_alpha"]
    assert default["headline"]["alpha"] is None

    config = tmp_path / "annobot.toml"
    config.write_text("[reports]\nmin_pairable = 2\n")
    low = _digest(db_url, "--config", str(config))
    assert low["settings"]["min_pairable"] == 2
    assert round(low["tasks"][0]["agreement"]["krippendorff_alpha"], 3) == 0.815
    assert round(low["headline"]["alpha"], 3) == 0.815
    # The same through the command line.
    flag = json_of(
        ok(db_url, "digest", "--project", "calib", "--all", "--format", "json", "--min-pairable", "2")
    )
    assert (
        flag["tasks"][0]["agreement"]["krippendorff_alpha"]
        == low["tasks"][0]["agreement"]["krippendorff_alpha"]
    )


def json_of(text: str) -> dict:
    import json

    return json.loads(text)


@pytest.mark.parametrize(("weights", "published"), [("linear", 0.4701), ("quadratic", 0.4502)])
def test_ordinal_kappa_weights_reproduce_the_sas_example(
    db_url: str, tmp_path: Path, weights: str, published: float
) -> None:
    _project(db_url, tmp_path, ["0", "1", "2"], _sas_rows())
    config = tmp_path / "annobot.toml"
    config.write_text(f'[reports]\nmin_pairable = 2\nordinal_weights = "{weights}"\n')
    digest = _digest(db_url, "--config", str(config))
    assert digest["settings"] == {"min_pairable": 2, "ordinal_weights": weights}
    assert round(digest["tasks"][0]["agreement"]["cohen_kappa_mean"], 4) == published
    (pair,) = digest["pairs"]
    assert pair["weights"] == weights and round(pair["kappa"], 4) == published


def test_bad_settings_are_refused_with_the_key(db_url: str, tmp_path: Path) -> None:
    config = tmp_path / "annobot.toml"
    for text, message in (
        ("[reports]\nmin_pairable = 0\n", "'reports.min_pairable' must be >= 1"),
        ('[reports]\nmin_pairable = "5"\n', "'reports.min_pairable' must be int"),
        (
            '[reports]\nordinal_weights = "cubic"\n',
            '\'reports.ordinal_weights\' must be "linear" or "quadratic"',
        ),
    ):
        config.write_text(text)
        result = run_cli(db_url, "--config", str(config), "digest", "--project", "calib", "--all")
        assert result.exit_code == 2 and message in result.output, result.output
    result = run_cli(db_url, "digest", "--project", "calib", "--all", "--min-pairable", "0")
    assert result.exit_code == 2 and "--min-pairable" in result.output
