"""What became of each run: its outcome and its unit fractions, from its per-probe tables."""

import numpy as np
import pandas as pd

from deadunits.probes import UNIT_FRACTIONS

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
OUTCOMES = ("trained", "untrained", "diverged")


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
