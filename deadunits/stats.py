"""Means with 95% bootstrap confidence intervals over seeds (GUIDE §4)."""
import numpy as np
import pandas as pd


def bootstrap_ci(values, n_boot: int = 2000, level: float = 0.95, seed: int = 0):
    """(mean, low, high, n) of the non-NaN ``values``; percentile bootstrap with a fixed generator."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return np.nan, np.nan, np.nan, 0
    if len(x) == 1:
        return x[0], np.nan, np.nan, 1
    rng = np.random.default_rng(seed)
    means = x[rng.integers(len(x), size=(n_boot, len(x)))].mean(1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return x.mean(), low, high, len(x)


def summarise(df: pd.DataFrame, by: list, metrics: list) -> pd.DataFrame:
    """One row per group: ``metric_mean``, ``metric_ci_low``, ``metric_ci_high`` and ``n`` for each metric."""
    rows = []
    for key, group in df.groupby(by, sort=True, dropna=False):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        row["n"] = len(group)
        for metric in metrics:
            mean, low, high, _ = bootstrap_ci(group[metric].astype(float))
            row.update({f"{metric}_mean": mean, f"{metric}_ci_low": low, f"{metric}_ci_high": high})
        rows.append(row)
    return pd.DataFrame(rows)


def at_best_lr(runs: pd.DataFrame, by: list, metric: str, stat: str = "mean", best: str = "max") -> pd.DataFrame:
    """The rows of ``runs`` at each group's best learning rate: the lr whose ``stat`` over seeds of ``metric``
    is highest (``best="max"``) or lowest (``"min"``). Row order is kept, so CIs over seeds do not change."""
    scores = runs.groupby([*by, "lr"])[metric].agg(stat)
    chosen = getattr(scores.groupby(level=list(by)), "idxmax" if best == "max" else "idxmin")()
    return runs.merge(pd.DataFrame(list(chosen), columns=[*by, "lr"]))


def time_to_event(runs: pd.DataFrame, reached: str = "steps_to_target", budget: str = "budget_steps") -> pd.DataFrame:
    """(duration, observed) per run: the time to the target where it was reached, else the budget, right-censored
    (GUIDE §4: a run that never reaches the target is censored, never dropped)."""
    observed = runs[reached].notna()
    return pd.DataFrame({"duration": runs[reached].where(observed, runs[budget]).astype(float),
                         "observed": observed}, index=runs.index)


def km_median(events: pd.DataFrame) -> float:
    """Kaplan-Meier median time to the event (lifelines); inf when fewer than half the runs reach it."""
    from lifelines import KaplanMeierFitter

    if len(events) == 0:
        return np.nan
    return float(KaplanMeierFitter().fit(events.duration, events.observed).median_survival_time_)


def km_median_ratio(slow: pd.DataFrame, fast: pd.DataFrame, n_boot: int = 500, seed: int = 0):
    """(ratio, low, high, n): the Kaplan-Meier median of ``slow`` over that of ``fast`` (events indexed by seed),
    with a percentile bootstrap over the seeds both share, resampled in pairs. inf means the slow arm's median
    lies beyond its censoring time."""
    seeds = slow.index.intersection(fast.index)
    slow, fast = slow.loc[seeds], fast.loc[seeds]
    ratio = km_median(slow) / km_median(fast)
    if len(seeds) < 2:
        return ratio, np.nan, np.nan, len(seeds)
    rng = np.random.default_rng(seed)
    draws = [km_median(slow.iloc[i]) / km_median(fast.iloc[i]) for i in rng.integers(len(seeds), size=(n_boot, len(seeds)))]
    low, high = np.quantile(np.nan_to_num(draws, nan=np.inf), [0.025, 0.975], method="inverted_cdf")  # inf-safe
    return ratio, low, high, len(seeds)
