import numpy as np
import pytest

from geohazard.catalog.stats import (
    b_positive,
    b_value,
    fmd,
    magnitude_resolution,
    mc_bvalue_stability,
    mc_maxc,
)
from geohazard.exceptions import InputError


def gr_sample(n, b, m_min, rng, delta=0.0):
    m = m_min + rng.exponential(1.0 / (b * np.log(10)), n)
    return np.round(m / delta) * delta if delta else m


@pytest.mark.parametrize("b_true", [0.8, 1.0, 1.3])
def test_aki_and_tinti_recover_b_on_binned_data(b_true):
    rng = np.random.default_rng(7)
    mags = gr_sample(40_000, b_true, 1.95, rng, delta=0.1)  # bins 2.0, 2.1, ...
    aki = b_value(mags, 2.0, 0.1, strict=False)
    tinti = b_value(mags, 2.0, 0.1, strict=False, method="tinti")
    assert abs(aki.b - b_true) < 3 * aki.se + 0.01  # half-bin correction is approximate
    assert abs(tinti.b - b_true) < 3 * tinti.se  # exact for binned data
    # without the bin correction the estimate is clearly biased
    naive = np.log10(np.e) / (mags[mags >= 2.0].mean() - 2.0)
    assert abs(naive - b_true) > 5 * aki.se


def test_strict_cut_matches_inclusive_cut_of_next_bin():
    rng = np.random.default_rng(1)
    mags = gr_sample(20_000, 1.0, 0.995, rng, delta=0.01)
    strict = b_value(mags, 1.0, 0.01, strict=True)
    inclusive = b_value(mags, 1.01, 0.01, strict=False)
    assert strict.b == pytest.approx(inclusive.b)
    assert strict.n == inclusive.n


def test_shi_bolt_se_matches_spread_of_estimates():
    rng = np.random.default_rng(3)
    ests = [b_value(gr_sample(500, 1.0, 2.0, rng), 2.0, strict=False) for _ in range(300)]
    spread = np.std([e.b for e in ests])
    mean_se = np.mean([e.se for e in ests])
    assert mean_se == pytest.approx(spread, rel=0.2)


def test_b_positive_robust_to_short_term_incompleteness():
    rng = np.random.default_rng(11)
    mags = gr_sample(60_000, 1.0, 1.0, rng)
    # remove small events after large ones (aftershock incompleteness)
    keep = np.ones(mags.size, bool)
    big = np.flatnonzero(mags > 3.0)
    for i in big:
        window = slice(i + 1, i + 40)
        keep[window] &= mags[window] > 2.0
    thinned = mags[keep]
    bp = b_positive(thinned, 0.0, dm_min=0.2)
    assert abs(bp.b - 1.0) < 3 * bp.se + 0.02


def test_mc_estimators_find_synthetic_completeness():
    rng = np.random.default_rng(5)
    full = gr_sample(80_000, 1.0, 0.0, rng)
    # detection probability: cumulative normal around 1.5 (sigma 0.2)
    from scipy.stats import norm

    detected = full[rng.uniform(size=full.size) < norm.cdf(full, 1.5, 0.2)]
    mags = np.round(detected, 1)
    assert 1.4 <= mc_maxc(mags) <= 1.9
    assert 1.5 <= mc_bvalue_stability(mags, delta=0.1) <= 2.2


def test_fmd_cumulative_counts():
    d = fmd(np.array([1.0, 1.0, 1.1, 1.3]), 0.1)
    np.testing.assert_allclose(d["magnitude"], [1.0, 1.1, 1.2, 1.3])
    assert list(d["count"]) == [2, 1, 0, 1]
    assert list(d["cumulative"]) == [4, 2, 1, 1]


def test_magnitude_resolution():
    assert magnitude_resolution(np.array([1.0, 1.1, 2.3])) == 0.1
    assert magnitude_resolution(np.array([1.01, 2.26])) == 0.01
    assert magnitude_resolution(np.array([1.0123])) == 0.0


def test_b_value_errors():
    with pytest.raises(InputError, match="at least 2"):
        b_value(np.array([1.0]), 0.5)
    with pytest.raises(InputError, match="NaN"):
        b_value(np.array([1.0, np.nan]), 0.5)
    with pytest.raises(InputError, match="tinti"):
        b_value(np.array([1.0, 2.0]), 0.5, 0.0, method="tinti")
