"""Intervals, tests and multiplicity control for the report's numbers (docs/claims.md).

Seed means get Student-t intervals and tests; rates (values that are all 0 or 1) get exact
Clopper-Pearson intervals and binomial tests, so an all-zero sample still has an upper bound. A
percentile bootstrap at n = 8 covers only 78-89% where it claims 95%.
"""

import numpy as np
import pandas as pd
from scipy import stats

LEVEL = 0.95


def _finite(values) -> np.ndarray:
    x = pd.Series(values).astype(float).to_numpy()  # booleans, objects and pandas NA alike
    return x[~np.isnan(x)]


def is_rate(values) -> bool:
    """True for per-run outcomes given as booleans (collapsed, diverged), whose mean is a rate. A
    share of units that happens to be 0 in every run is not one: it is told by the type, not the
    values."""
    return np.asarray(values).dtype == bool


def mean_ci(values, level: float = LEVEL, rate: bool | None = None):
    """(mean, low, high, n) of the non-NaN ``values``: a Student-t interval, or for per-run
    outcomes (booleans; or ``rate`` True) the exact Clopper-Pearson interval of the rate. One value
    has no interval."""
    x = _finite(values)
    if len(x) == 0:
        return np.nan, np.nan, np.nan, 0
    if is_rate(values) if rate is None else rate:
        ci = stats.binomtest(int(x.sum()), len(x)).proportion_ci(level, method="exact")
        return x.mean(), ci.low, ci.high, len(x)
    if len(x) == 1:
        return x[0], np.nan, np.nan, 1
    half = stats.t.ppf((1 + level) / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return x.mean(), x.mean() - half, x.mean() + half, len(x)


def p_beyond(values, null: float, direction: str) -> float:
    """One-sided p-value that the mean lies ``above`` (or ``below``) ``null``: an exact binomial
    test for 0/1 values, else a one-sample t-test. A sample without spread gives 0 or 1 by its
    side."""
    x = _finite(values)
    alternative = {"above": "greater", "below": "less"}[direction]
    if len(x) == 0:
        return np.nan
    if is_rate(values) and 0 < null < 1:
        return stats.binomtest(int(x.sum()), len(x), null, alternative=alternative).pvalue
    if len(x) < 2 or np.ptp(x) == 0:
        beyond = x.mean() > null if direction == "above" else x.mean() < null
        return 0.0 if beyond else 1.0
    return float(stats.ttest_1samp(x, null, alternative=alternative).pvalue)


def adjust(p) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (scipy); NaN stays NaN and is not counted."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = stats.false_discovery_control(p[ok], method="bh")
    return out


def summarise(df: pd.DataFrame, by: list, metrics: list) -> pd.DataFrame:
    """One row per group: ``metric_mean``, ``metric_ci_low``, ``metric_ci_high`` (``mean_ci``) and
    ``n`` for each metric."""
    rows = []
    for key, group in df.groupby(by, sort=True, dropna=False):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        row["n"] = len(group)
        for metric in metrics:
            mean, low, high, _ = mean_ci(group[metric])
            row.update({f"{metric}_mean": mean, f"{metric}_ci_low": low, f"{metric}_ci_high": high})
        rows.append(row)
    return pd.DataFrame(rows)


def at_best_lr(
    runs: pd.DataFrame, by: list, metric: str, stat: str = "mean", best: str = "max"
) -> pd.DataFrame:
    """The rows of ``runs`` at each group's best learning rate: the lr whose ``stat`` over seeds of
    ``metric`` is highest (``best="max"``) or lowest (``"min"``). Row order is kept, so CIs over
    seeds do not change."""
    scores = runs.groupby([*by, "lr"])[metric].agg(stat)
    chosen = getattr(scores.groupby(level=list(by)), "idxmax" if best == "max" else "idxmin")()
    return runs.merge(pd.DataFrame(list(chosen), columns=[*by, "lr"]))


def time_to_event(
    runs: pd.DataFrame, reached: str = "steps_to_target", budget: str = "budget_steps"
) -> pd.DataFrame:
    """(duration, observed) per run: the time to the target where it was reached, else the budget,
    right-censored (a run that never reaches the target is censored, never dropped)."""
    observed = runs[reached].notna()
    return pd.DataFrame(
        {
            "duration": runs[reached].where(observed, runs[budget]).astype(float),
            "observed": observed,
        },
        index=runs.index,
    )


def km_median(events: pd.DataFrame) -> float:
    """Kaplan-Meier median time to the event (lifelines); inf when fewer than half the runs reach
    it."""
    from lifelines import KaplanMeierFitter

    if len(events) == 0:
        return np.nan
    return float(KaplanMeierFitter().fit(events.duration, events.observed).median_survival_time_)


def km_median_ratio(slow: pd.DataFrame, fast: pd.DataFrame, n_boot: int = 500, seed: int = 0):
    """(ratio, low, high, n): the Kaplan-Meier median of ``slow`` over that of ``fast`` (events
    indexed by seed), with a percentile bootstrap over the seeds both share, resampled in pairs. inf
    means the slow arm's median lies beyond its censoring time."""
    seeds = slow.index.intersection(fast.index)
    slow, fast = slow.loc[seeds], fast.loc[seeds]
    ratio = km_median(slow) / km_median(fast)
    if len(seeds) < 2:
        return ratio, np.nan, np.nan, len(seeds)
    rng = np.random.default_rng(seed)
    draws = [
        km_median(slow.iloc[i]) / km_median(fast.iloc[i])
        for i in rng.integers(len(seeds), size=(n_boot, len(seeds)))
    ]
    low, high = np.quantile(
        np.nan_to_num(draws, nan=np.inf), [0.025, 0.975], method="inverted_cdf"
    )  # inf-safe
    return ratio, low, high, len(seeds)
