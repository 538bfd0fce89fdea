"""From per-probe tables to one row per run, and from runs to one row per cell over seeds
(summary.csv)."""

import numpy as np
import pandas as pd

from deadunits.probes import UNIT_FRACTIONS
from deadunits.stats import km_median, summarise, time_to_event

CELL_KEYS = [
    "experiment",
    "dataset",
    "activation",
    "init",
    "depth",
    "width",
    "layer_widths",
    "optimizer",
    "lr",
]
WHOLE_SET = (
    "inactive",
    "dead",
)  # measured on every training example at init and at the end: <name>_full
HISTORIES = (
    "became_inactive",
    "ever_inactive",
    "revived",
    "ever_revived",
)  # unit histories whose share at the end is <name>_final
SUMMARY_METRICS = (
    [f"{name}_{when}" for name in UNIT_FRACTIONS for when in ("init", "final")]
    + [f"{name}_{when}_full" for when in ("init", "final") for name in WHOLE_SET]
    + [f"{name}_final" for name in HISTORIES]
    + [
        "born_dead",
        "collapsed",
        "loss_auc",
        "final_train_loss",
        "final_train_acc",
        "final_val_acc",
        "final_test_loss",
        "final_test_acc",
    ]
)


def final_layers(layers: pd.DataFrame) -> pd.DataFrame:
    """Each run's rows at its own last probe (experiments train for different epochs)."""
    return layers[layers.epoch == layers.groupby("run_id").epoch.transform("max")]


# a net that closes less than this share of the gap between the best constant and a perfect fit
UNTRAINED_GAP = 0.1


def run_outcomes(diverged, final_train_loss, final_train_error, baseline: tuple) -> np.ndarray:
    """Each run's outcome (docs/metrics.md): ``diverged`` (non-finite loss or gradient),
    ``untrained`` (its final training error, or for regression its loss, is at least (1 -
    UNTRAINED_GAP) times the best constant prediction's: no better than chance), else ``trained``.
    """
    baseline_loss, baseline_error = baseline
    if np.isnan(baseline_error):
        untrained = ~(np.asarray(final_train_loss) < (1 - UNTRAINED_GAP) * baseline_loss)
    else:
        untrained = ~(np.asarray(final_train_error) < (1 - UNTRAINED_GAP) * baseline_error)
    return np.where(diverged, "diverged", np.where(untrained, "untrained", "trained"))


def summarise_runs(curves: pd.DataFrame, layers: pd.DataFrame) -> pd.DataFrame:
    """One row per model: unit fractions over all hidden units (layers weighted by their widths) at
    init and at the end, on the probe set and (``<name>_full``, from ``layers``' whole-set columns)
    on every training example; born dead (collapsed at init); final training (whole set) and test
    numbers."""
    last = curves.epoch.max()
    shares = list(UNIT_FRACTIONS) + list(HISTORIES) + [f"{name}_full" for name in WHOLE_SET]
    weighted = (
        layers[shares]
        .mul(layers.units, axis=0)
        .assign(model=layers.model, epoch=layers.epoch, units=layers.units)
    )
    totals = weighted.groupby(["model", "epoch"]).sum()
    by_epoch = totals[shares].div(totals.units, axis=0)
    at_init, at_end = by_epoch.xs(0, level="epoch"), by_epoch.xs(last, level="epoch")
    runs = pd.DataFrame({"model": at_init.index})
    for name in UNIT_FRACTIONS:
        runs[f"{name}_init"] = at_init[name].to_numpy()
        runs[f"{name}_final"] = at_end[name].to_numpy()
    for name in HISTORIES:
        runs[f"{name}_final"] = at_end[name].to_numpy()
    for name in WHOLE_SET:
        runs[f"{name}_init_full"] = at_init[f"{name}_full"].to_numpy()
        runs[f"{name}_final_full"] = at_end[f"{name}_full"].to_numpy()
    start, end = (
        curves[curves.epoch == 0].set_index("model"),
        curves[curves.epoch == last].set_index("model"),
    )
    runs["born_dead"] = start.collapsed.to_numpy()
    runs["collapsed"] = end.collapsed.to_numpy()
    runs["final_train_loss"] = end.train_loss_full.to_numpy()
    runs["final_train_acc"] = 1 - end.train_error_full.to_numpy()
    runs["final_test_loss"] = end.test_loss.to_numpy()
    runs["final_test_acc"] = 1 - end.test_error.to_numpy()
    return runs


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    """summary.csv: per cell (CELL_KEYS) the Kaplan-Meier convergence columns over all its runs, and
    the mean and 95% t-interval over seeds of every summary metric over its trained runs only
    (``n``); ``n_untrained`` and ``n_diverged`` count the runs left out. A cell without a trained
    run keeps its row, with NaN metrics."""
    trained = runs[runs.outcome == "trained"].astype({m: float for m in SUMMARY_METRICS})
    counts = runs.groupby(CELL_KEYS).outcome.value_counts().unstack(fill_value=0)
    counts = (
        counts.reindex(columns=["untrained", "diverged"], fill_value=0)
        .add_prefix("n_")
        .reset_index()
    )
    table = (
        summarise(trained, CELL_KEYS, SUMMARY_METRICS)
        if len(trained)
        else pd.DataFrame(columns=CELL_KEYS + ["n"])
    )
    convergence = convergence_table(runs)
    table = (
        counts.merge(table, on=CELL_KEYS, how="left")
        .fillna({"n": 0})
        .merge(convergence, on=CELL_KEYS)
    )
    means = [c for c in table if c.endswith(("_mean", "_ci_low", "_ci_high"))]
    return table[
        CELL_KEYS
        + ["n", "n_untrained", "n_diverged"]
        + list(convergence.columns[len(CELL_KEYS) :])
        + means
    ]


def convergence_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per cell, over all its runs (a run that never reaches the target, trained or not, is censored
    at its budget, never dropped): Kaplan-Meier median steps and epochs to the target (inf: beyond
    the budget) and how many runs were censored."""
    rows = []
    for key, cell in runs.groupby(CELL_KEYS):
        rows.append(
            dict(
                zip(CELL_KEYS, key),
                steps_to_target_km_median=km_median(time_to_event(cell)),
                epochs_to_target_km_median=km_median(
                    time_to_event(cell, "epochs_to_target", "budget_epochs")
                ),
                n_censored=int(cell.steps_to_target.isna().sum()),
            )
        )
    return pd.DataFrame(rows)
