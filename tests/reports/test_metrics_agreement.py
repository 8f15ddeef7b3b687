"""Agreement coefficients against published values and against krippendorff/statsmodels/sklearn as oracles."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from reports.metrics import (
    MIN_PAIRABLE,
    Coefficient,
    bootstrap_alpha,
    cohen_kappa,
    count_table,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)

nan = np.nan

# Wikipedia "Fleiss' kappa" worked example: 10 subjects x 5 categories, 14 raters each. The same table and
# kappa_wp = 0.210 are in statsmodels/stats/tests/test_inter_rater.py (quality-reference §C.2).
FLEISS_WIKI = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# Fleiss (1971), Psychological Bulletin 76(5):378-382: psychiatric diagnoses, 30 patients x 6 ratings,
# categories 1-5; R irr's `diagnoses` data set, reproduced in statsmodels/stats/tests/test_inter_rater.py,
# where irr::kappam.fleiss gives 0.4302445 (quality-reference §C.2b).
FLEISS_1971 = [
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5], [2, 2, 2, 4, 4, 4],
    [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4], [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5],
    [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4], [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5],
    [3, 3, 3, 3, 3, 5], [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4], [1, 4, 4, 4, 4, 5],
    [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4], [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]  # fmt: skip

# Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", example C: 4 observers x 12 units with
# missing values. Published: nominal 0.743, ordinal 0.815, interval 0.849. The same matrix is in
# pln-fing-udelar/fast-krippendorff tests/test_krippendorff.py (ordinal 0.815 asserted there).
KRIPP_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]

# Wikipedia "Krippendorff's alpha" example, 3 coders x 15 units: nominal 0.691, interval 0.811 (also
# asserted as 0.691358 / 0.810845 in fast-krippendorff tests/test_krippendorff.py).
KRIPP_WIKI = [
    [nan, nan, nan, nan, nan, 3, 4, 1, 2, 1, 1, 3, 3, nan, 3],
    [1, nan, 2, 1, 3, 3, 4, 3, nan, nan, nan, nan, nan, nan, nan],
    [nan, nan, 2, 1, 3, 4, 4, nan, 2, 1, 1, 3, 3, nan, 4],
]

# Cohen's kappa, Wikipedia "Cohen's kappa" simple example (50 grant proposals, reader A rows, B columns):
# p_o = 0.70, p_e = 0.50, kappa = 0.40 (quality-reference §C.3a).
COHEN_2X2 = [[20, 5], [10, 15]]

# SAS PROC FREQ agreement example as reproduced in statsmodels' test_inter_rater.py: simple kappa 0.4842
# (ASE 0.1380, 95% CI 0.2137-0.7547), weighted kappa with Cicchetti-Allison (= linear) weights 0.4701
# (CI 0.1845-0.7558) (quality-reference §C.3b). Quadratic 0.4502 is the statsmodels/sklearn value.
SAS_3X3 = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]


def fleiss_1971_counts() -> np.ndarray:
    """The Fleiss 1971 ratings as a 30 x 5 count table."""
    return np.array([[row.count(k) for k in range(1, 6)] for row in FLEISS_1971])


def test_fleiss_kappa_wikipedia_example() -> None:
    result = fleiss_kappa(FLEISS_WIKI, min_pairable=1)
    assert round(result.value, 3) == 0.210
    assert result.value == pytest.approx(sm_fleiss_kappa(np.array(FLEISS_WIKI)), abs=1e-12)
    assert result.raw_agreement == pytest.approx(0.3780, abs=5e-5)  # P-bar in the worked example


def test_fleiss_kappa_1971_diagnoses() -> None:
    result = fleiss_kappa(fleiss_1971_counts())
    assert result.value == pytest.approx(0.4302445, abs=5e-8)
    table, _ = aggregate_raters(np.array(FLEISS_1971))
    assert result.value == pytest.approx(sm_fleiss_kappa(table), abs=1e-12)


def test_fleiss_kappa_needs_equal_ratings_per_item() -> None:
    counts = np.tile([[2, 1, 0]], (30, 1))
    counts[0] = [1, 1, 0]
    result = fleiss_kappa(counts)
    assert result.value is None
    assert "2 to 3 ratings" in result.reason
    assert result.raw_agreement is not None


@pytest.mark.parametrize(("scale", "expected"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_alpha_krippendorff_2011_example(counts_of, scale: str, expected: float) -> None:
    counts = counts_of(KRIPP_2011, [1, 2, 3, 4, 5])
    result = krippendorff_alpha(counts, scale, list("12345"), min_pairable=1)
    assert round(result.value, 3) == expected
    assert result.pairable == 11  # unit 12 has a single value


@pytest.mark.parametrize(("scale", "expected"), [("nominal", 0.691), ("interval", 0.811)])
def test_alpha_wikipedia_example(counts_of, scale: str, expected: float) -> None:
    counts = counts_of(KRIPP_WIKI, [1, 2, 3, 4])
    assert round(krippendorff_alpha(counts, scale, list("1234"), min_pairable=1).value, 3) == expected


def test_alpha_on_fleiss_tables_matches_reference() -> None:
    # quality-reference §C.2: krippendorff.alpha(value_counts=F) nominal 0.2156; §C.2b irrCAC alpha 0.43341.
    assert krippendorff_alpha(FLEISS_WIKI, min_pairable=1).value == pytest.approx(0.2156, abs=5e-5)
    assert krippendorff_alpha(fleiss_1971_counts()).value == pytest.approx(0.43341, abs=5e-6)


def random_reliability(seed: int, coders: int = 6, units: int = 80, k: int = 5) -> np.ndarray:
    """Coders x units values 0..k-1 with ~35% missing and a shared item effect, so alpha is not ~0."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, units)
    noise = rng.integers(-1, 2, (coders, units)) * (rng.random((coders, units)) < 0.4)
    data = np.clip(truth + noise, 0, k - 1).astype(float)
    data[rng.random((coders, units)) < 0.35] = np.nan
    return data


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("scale", ["nominal", "ordinal", "interval"])
def test_alpha_matches_krippendorff_package(seed: int, scale: str) -> None:
    # Unequal spacing (interval differs from ordinal positions) and an unused level "5.0" in the domain.
    domain = [0.0, 1.0, 2.0, 3.5, 5.0, 7.0]
    used = np.array([0.0, 1.0, 2.0, 3.5, 7.0])
    data = random_reliability(seed)
    mapped = np.where(np.isnan(data), np.nan, used[np.nan_to_num(data).astype(int)])
    counts = np.array([[np.sum(mapped[:, u] == v) for v in domain] for u in range(mapped.shape[1])])
    ours = krippendorff_alpha(counts, scale, [str(v) for v in domain]).value
    oracle = krippendorff.alpha(reliability_data=mapped, level_of_measurement=scale, value_domain=domain)
    assert ours == pytest.approx(oracle, abs=1e-9)


def test_alpha_unused_levels_do_not_change_ordinal_or_nominal() -> None:
    counts = np.array([[2, 0, 1], [0, 3, 0], [1, 1, 1]] * 10)
    padded = np.insert(counts, 1, 0, axis=1)  # an unused level between the first two
    for scale in ("nominal", "ordinal"):
        a = krippendorff_alpha(counts, scale).value
        b = krippendorff_alpha(padded, scale).value
        assert a == pytest.approx(b, abs=1e-12)


def test_alpha_from_long_frame(from_matrix) -> None:
    frame = from_matrix(KRIPP_2011)
    units, counts = count_table(frame, list("12345"))
    assert len(units) == 12
    assert krippendorff_alpha(counts, "ordinal", list("12345"), min_pairable=1).value == pytest.approx(
        krippendorff.alpha(np.array(KRIPP_2011), level_of_measurement="ordinal"), abs=1e-12
    )


def test_gwet_ac1_reference_values(expand) -> None:
    # quality-reference §C.2/§C.2b/§C.3 (values computed with irrCAC 0.4.4, 5 decimals).
    assert gwet_ac1(FLEISS_WIKI, min_pairable=1).value == pytest.approx(0.22561, abs=5e-6)
    assert gwet_ac1(fleiss_1971_counts()).value == pytest.approx(0.44788, abs=5e-6)
    a, b = expand(COHEN_2X2, ["yes", "no"])
    table = np.array([[int(x == c) + int(y == c) for c in ("yes", "no")] for x, y in zip(a, b, strict=True)])
    assert gwet_ac1(table).value == pytest.approx(0.40594, abs=5e-6)
    a, b = expand(SAS_3X3, ["0", "1", "2"])
    table = np.array([[int(x == c) + int(y == c) for c in "012"] for x, y in zip(a, b, strict=True)])
    assert gwet_ac1(table, min_pairable=1).value == pytest.approx(0.55599, abs=5e-6)


def test_percent_agreement_by_hand() -> None:
    # Item 1: 3 raters all agree -> 1; item 2: 2 of 3 agree -> 1 agreeing pair of 3 -> 1/3; item 3: 2 raters
    # disagree -> 0; item 4 has one rating and is not pairable.
    counts = np.array([[3, 0], [2, 1], [1, 1], [1, 0]])
    result = percent_agreement(counts, min_pairable=1)
    assert result.value == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert result.pairable == 3


def test_cohen_kappa_textbook_2x2(expand) -> None:
    a, b = expand(COHEN_2X2, ["yes", "no"])
    result = cohen_kappa(a, b, ["yes", "no"])
    assert result.value == pytest.approx(0.40, abs=1e-12)
    assert result.raw_agreement == pytest.approx(0.70)
    assert result.pairable == 50


def test_cohen_kappa_sas_example_with_standard_errors(expand) -> None:
    labels = ["0", "1", "2"]
    a, b = expand(SAS_3X3, labels)
    simple = cohen_kappa(a, b, labels, min_pairable=1)
    assert round(simple.value, 4) == 0.4842
    assert (round(simple.ci[0], 4), round(simple.ci[1], 4)) == (0.2137, 0.7547)
    linear = cohen_kappa(a, b, labels, "linear", min_pairable=1)
    assert round(linear.value, 4) == 0.4701
    assert (round(linear.ci[0], 4), round(linear.ci[1], 4)) == (0.1845, 0.7558)
    quadratic = cohen_kappa(a, b, labels, "quadratic", min_pairable=1)
    assert round(quadratic.value, 4) == 0.4502
    for weights, wt in ((None, None), ("linear", "linear"), ("quadratic", "quadratic")):
        oracle = sm_cohens_kappa(np.array(SAS_3X3), wt=wt)
        ours = cohen_kappa(a, b, labels, weights, min_pairable=1)
        assert ours.value == pytest.approx(oracle.kappa, abs=1e-12)
        se = (ours.ci[1] - ours.ci[0]) / (2 * 1.959963984540054)
        assert se == pytest.approx(oracle.std_kappa, abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_sklearn(seed: int, weights: str | None) -> None:
    rng = np.random.default_rng(seed)
    labels = ["none", "low", "mid", "high", "top"]
    truth = rng.integers(0, 5, 200)
    a = np.clip(truth + rng.integers(-1, 2, 200), 0, 4)
    b = np.clip(truth + rng.integers(-2, 3, 200), 0, 4)
    la, lb = [labels[i] for i in a], [labels[i] for i in b]
    ours = cohen_kappa(la, lb, labels, weights).value
    assert ours == pytest.approx(cohen_kappa_score(la, lb, labels=labels, weights=weights), abs=1e-12)


def test_weighted_kappa_follows_the_full_label_list_when_a_level_is_unused() -> None:
    labels = ["1", "2", "3", "4", "5"]
    rng = np.random.default_rng(7)
    used = np.array(["1", "2", "4", "5"])  # nobody used "3"
    a = list(rng.choice(used, 120))
    b = [x if rng.random() < 0.6 else str(rng.choice(used)) for x in a]
    for weights in ("linear", "quadratic"):
        ours = cohen_kappa(a, b, labels, weights).value
        full = cohen_kappa_score(a, b, labels=labels, weights=weights)
        observed_only = cohen_kappa_score(a, b, weights=weights)  # sklearn's default: labels seen in the data
        assert ours == pytest.approx(full, abs=1e-12)
        # Without the full list "4" sits next to "2": the scale collapses and the value changes.
        assert abs(ours - observed_only) > 1e-3


def test_cohen_kappa_drops_pairs_with_a_gap() -> None:
    a = ["x", "y", None] * 10
    b = ["x", "y", "x"] * 10
    result = cohen_kappa(a, b, ["x", "y"])
    assert result.pairable == 20
    assert result.value == pytest.approx(1.0)


def test_cohen_kappa_unknown_label_is_an_error() -> None:
    with pytest.raises(ValueError, match="'maybe'"):
        cohen_kappa(["yes", "maybe"], ["yes", "no"], ["yes", "no"])


def test_single_class_is_not_available_with_reason() -> None:
    counts = np.array([[3, 0, 0]] * 25)
    labels = ["Positive", "Negative", "Neutral"]
    reason = "a single label was used ('Positive'): chance-corrected agreement is undefined"
    for result in (
        fleiss_kappa(counts, labels),
        gwet_ac1(counts, labels),
        krippendorff_alpha(counts, "nominal", labels),
        krippendorff_alpha(counts, "ordinal", labels),
        cohen_kappa(["Positive"] * 25, ["Positive"] * 25, labels),
    ):
        assert result.value is None
        assert result.reason == reason
        assert result.raw_agreement == 1.0
    assert percent_agreement(counts).value == 1.0  # raw agreement itself is defined


def test_too_few_pairable_items_is_not_available_with_reason() -> None:
    counts = np.array([[2, 0], [1, 1]] * 6 + [[1, 0]] * 5)  # 12 pairable items, 5 single ratings
    expected = f"only 12 pairable items (minimum {MIN_PAIRABLE})"
    results = (
        percent_agreement(counts),
        fleiss_kappa(counts[:12]),
        gwet_ac1(counts),
        krippendorff_alpha(counts),
    )
    for result in results:
        assert result.value is None
        assert result.reason == expected
        assert result.pairable == 12
        assert result.raw_agreement == pytest.approx(0.5)
    assert cohen_kappa(["a", "b"] * 6, ["a", "a"] * 6, ["a", "b"]).reason == expected


def test_coefficient_to_json() -> None:
    na = Coefficient(value=None, reason="only 3 pairable items (minimum 20)", pairable=3, raw_agreement=0.5)
    assert na.to_json() == {
        "value": None,
        "reason": "only 3 pairable items (minimum 20)",
        "pairable": 3,
        "raw_agreement": 0.5,
        "ci": None,
    }
    assert Coefficient(0.5, None, 30, 0.7, (0.4, 0.6)).to_json()["ci"] == [0.4, 0.6]


def test_interval_scale_needs_numeric_labels() -> None:
    with pytest.raises(ValueError, match="numeric labels"):
        krippendorff_alpha(np.ones((30, 2), dtype=int), "interval", ["low", "high"])


def test_alpha_bootstrap_interval_is_seeded_and_matches_naive_resampling() -> None:
    data = random_reliability(3, coders=5, units=400)
    counts = np.array([[np.sum(data[:, u] == v) for v in range(5)] for u in range(data.shape[1])])
    first = krippendorff_alpha(counts, "ordinal", list("01234"), n_boot=500, seed=11)
    again = krippendorff_alpha(counts, "ordinal", list("01234"), n_boot=500, seed=11)
    assert first.ci == again.ci
    assert first.ci[0] < first.value < first.ci[1]
    # The pattern-multinomial bootstrap must have the spread of plain item resampling.
    reps = bootstrap_alpha(counts, "ordinal", list("01234"), n_boot=2000, rng=1)
    pairable = counts[counts.sum(axis=1) >= 2]
    rng = np.random.default_rng(2)
    naive = [
        krippendorff_alpha(pairable[rng.integers(0, len(pairable), len(pairable))], "ordinal").value
        for _ in range(300)
    ]
    assert np.std(reps) == pytest.approx(np.std(naive), rel=0.15)
    assert np.mean(reps) == pytest.approx(first.value, abs=0.01)
