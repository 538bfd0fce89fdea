"""The intervals and tests behind every claim row hold what they claim (docs/claims.md)."""

import numpy as np
import pytest

from deadunits.stats import adjust, mean_ci, p_beyond


@pytest.mark.parametrize(
    "draw", [lambda rng, n: rng.normal(1.0, 2.0, n), lambda rng, n: rng.exponential(1.0, n)]
)
def test_seed_mean_interval_covers_at_least_93_percent_at_n_8(draw):
    rng, truth = np.random.default_rng(0), 1.0
    hits = [low <= truth <= high for low, high in (mean_ci(draw(rng, 8))[1:3] for _ in range(4000))]
    floor = (
        0.93 if draw(rng, 1).min() < 0 else 0.88
    )  # a skewed sample costs a t-interval some cover
    assert np.mean(hits) >= floor


def test_rates_get_an_exact_interval_with_a_bound_for_an_all_zero_sample():
    rate, low, high, n = mean_ci(np.zeros(16, dtype=bool))
    assert (rate, low, n) == (0.0, 0.0, 16) and high == pytest.approx(0.206, abs=0.001)
    share = mean_ci(np.zeros(4))  # a share of units that is 0 in every net is not a rate
    assert share == (0.0, 0.0, 0.0, 4), "not Clopper-Pearson's [0, 0.60] for 0 of 4 runs"
    rng = np.random.default_rng(1)
    cover = np.mean(
        [(lambda r: r[1] <= 0.1 <= r[2])(mean_ci(rng.random(8) < 0.1)) for _ in range(3000)]
    )
    assert cover >= 0.95, "Clopper-Pearson never covers less than its level"


def test_p_values_read_the_claimed_side():
    up = [0.3, 0.4, 0.5, 0.35, 0.45, 0.38, 0.42, 0.41]
    assert p_beyond(up, 0.1, "above") < 0.001 and p_beyond(up, 0.1, "below") > 0.999
    assert p_beyond([0.0] * 8, 0.0, "above") == 1.0, "no spread and no effect is no evidence"
    assert p_beyond(np.ones(8, dtype=bool), 0.5, "above") == pytest.approx(0.5**8), "binomial"


def test_adjusted_p_values_never_fall_below_the_raw_ones_and_keep_nan():
    p = np.array([0.001, 0.02, np.nan, 0.04, 0.5])
    q = adjust(p)
    assert np.isnan(q[2]) and (q[~np.isnan(p)] >= p[~np.isnan(p)]).all()
    assert q[0] == pytest.approx(0.004)
