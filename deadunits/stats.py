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
