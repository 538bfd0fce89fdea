"""From per-probe tables to one row per run, and from runs to one row per cell over seeds (summary.csv)."""
import pandas as pd

from deadunits.probes import UNIT_FRACTIONS
from deadunits.stats import summarise

CELL_KEYS = ["experiment", "dataset", "activation", "init", "depth", "width", "optimizer", "lr"]
HISTORIES = ("died", "revived")  # unit histories whose share at the end becomes <name>_final
SUMMARY_METRICS = ([f"{name}_{when}" for name in UNIT_FRACTIONS for when in ("init", "final")] + ["dead_final_full"]
                   + [f"{name}_final" for name in HISTORIES]
                   + ["born_dead", "collapsed", "diverged", "steps_to_target", "epochs_to_target", "loss_auc",
                      "final_train_loss", "final_train_acc", "final_test_loss", "final_test_acc"])


def summarise_runs(curves: pd.DataFrame, layers: pd.DataFrame) -> pd.DataFrame:
    """One row per model: unit fractions over all hidden units at init and at the end, final test numbers."""
    last = curves.epoch.max()
    by_epoch = layers.groupby(["model", "epoch"])[list(UNIT_FRACTIONS) + list(HISTORIES)].mean()
    at_init, at_end = by_epoch.xs(0, level="epoch"), by_epoch.xs(last, level="epoch")
    runs = pd.DataFrame({"model": at_init.index})
    for name in UNIT_FRACTIONS:
        runs[f"{name}_init"] = at_init[name].to_numpy()
        runs[f"{name}_final"] = at_end[name].to_numpy()
    for name in HISTORIES:
        runs[f"{name}_final"] = at_end[name].to_numpy()
    end = curves[curves.epoch == last].set_index("model")
    runs["collapsed"] = end.collapsed.to_numpy()
    runs["final_test_loss"] = end.test_loss.to_numpy()
    runs["final_test_acc"] = 1 - end.test_error.to_numpy()
    return runs


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    """summary.csv: per cell (CELL_KEYS), n and the mean and 95% bootstrap CI over seeds of every summary metric."""
    return summarise(runs.astype({m: float for m in SUMMARY_METRICS}), CELL_KEYS, SUMMARY_METRICS)
