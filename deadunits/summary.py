"""From runs to one row per cell over seeds (summary.csv), and per-cell readings of outcomes."""

import pandas as pd

from deadunits.outcomes import HISTORIES, OUTCOMES, WHOLE_SET
from deadunits.probes import UNIT_FRACTIONS
from deadunits.stats import km_median, mean_ci, summarise, time_to_event
from deadunits.tables import trained

CELL_KEYS = [
    "experiment",
    "variant",
    "dataset",
    "activation",
    "init",
    "depth",
    "width",
    "layer_widths",
    "norm",
    "residual",
    "intervention",
    "optimizer",
    "lr",
]
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


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    """summary.csv: per cell (CELL_KEYS) the Kaplan-Meier convergence columns over all its runs, and
    the mean and 95% t-interval over seeds of every summary metric over its trained runs only
    (``n``); ``n_untrained`` and ``n_diverged`` count the runs left out. A cell without a trained
    run keeps its row, with NaN metrics."""
    working = trained(runs)  # booleans (born dead, collapsed) stay rates: Clopper-Pearson
    working = working.astype({m: float for m in SUMMARY_METRICS if working[m].dtype != bool})
    counts = runs.groupby(CELL_KEYS).outcome.value_counts().unstack(fill_value=0)
    counts = (
        counts.reindex(columns=["untrained", "diverged"], fill_value=0)
        .add_prefix("n_")
        .reset_index()
    )
    table = (
        summarise(working, CELL_KEYS, SUMMARY_METRICS)
        if len(working)
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


def by_outcome(nets, metric="dead_final_full"):
    """'3 trained 4.1%, 2 untrained 51%, 3 diverged 44%': each outcome's count and mean ``metric``
    (a diverged net's at its last finite step), so no claim about dying hides the nets that died."""
    groups = nets.groupby("outcome")[metric].agg(["size", "mean"])
    return ", ".join(
        f"{int(groups.at[o, 'size'])} {o} {groups.at[o, 'mean']:.1%}"
        for o in OUTCOMES
        if o in groups.index
    )


FAILS = "the lowest where fewer than half the nets train"


def too_high(grid) -> tuple:
    """(lr, why): the lowest learning rate of a grid at which fewer than half the nets train (the
    lr is "too high" by its outcome, never by the dead fraction judged there; ``why`` is FAILS);
    else the grid's highest, and ``why`` says so."""
    lrs = sorted(grid.lr.unique())
    trains = trained(grid).groupby("lr").size().reindex(lrs, fill_value=0)
    failing = trains[trains < 0.5 * grid.groupby("lr").size().reindex(lrs)]
    if len(failing):
        return failing.index.min(), FAILS
    return grid.lr.max(), "the highest tried: at least half the nets train at every lr"


def against_plain(runs, variant):
    """(depth, plain optimizer, the variant's runs, the plain runs) per experiment with
    ``variants``, depth and optimizer of its own grid: a variant's cell is compared with the plain
    cell of its ``plain_optimizer`` (deadunits/study.py pairs a variant's optimizers with the
    grid's, e.g. sgd_wd with sgd)."""
    paired_with = runs["plain_optimizer"] if "plain_optimizer" in runs else runs.optimizer
    runs = runs.assign(plain_optimizer=paired_with)
    plain, fix = runs[runs.variant == "none"], runs[runs.variant == variant]
    for (experiment, depth, optimizer), nets in plain.groupby(["experiment", "depth", "optimizer"]):
        mine = fix[
            (fix.experiment == experiment)
            & (fix.depth == depth)
            & (fix.plain_optimizer == optimizer)
        ]
        if len(mine):
            yield depth, optimizer, mine, nets


def fix_conditions(runs: pd.DataFrame) -> pd.DataFrame:
    """Per fix of a grid with ``variants`` (``none``: the plain net), depth, plain optimizer and
    learning rate, over all its nets (each outcome; a diverged net at its last finite step): how
    many trained, the dead fraction on the whole training set and the test accuracy (mean and 95%
    t-interval over seeds), whether plain nets fail at this lr (``too_high``) and whether it is the
    fix's lr best on validation."""
    rows = []
    for variant in ["none", *sorted(set(runs.variant) - {"none"})]:
        for depth, optimizer, fix, plain in against_plain(runs, variant):
            fails, why = too_high(plain)
            best = fix.groupby("lr").final_val_acc.mean().idxmax()
            for lr, nets in fix.groupby("lr"):
                dead, acc = mean_ci(nets.dead_final_full), mean_ci(nets.final_test_acc)
                rows.append(
                    dict(
                        variant=variant,
                        depth=depth,
                        optimizer=optimizer,
                        lr=lr,
                        nets=len(nets),
                        trained=int((nets.outcome == "trained").sum()),
                        dead=dead[0],
                        dead_low=dead[1],
                        dead_high=dead[2],
                        test_acc=acc[0],
                        acc_low=acc[1],
                        acc_high=acc[2],
                        plain_fails=bool(lr == fails and why == FAILS),
                        best_on_validation=bool(lr == best),
                    )
                )
    return pd.DataFrame(rows)


def cell_glance(runs: pd.DataFrame) -> pd.DataFrame:
    """The report's table of the study's cells: per cell (CELL_KEYS), its nets and how many
    trained, the mean dead and inactive share on the whole training set over all its nets (each
    outcome), the mean test accuracy of its trained nets, and the Kaplan-Meier median epochs to
    the target over all its nets (``convergence_table``)."""
    is_trained = runs.run_id.isin(trained(runs).run_id)
    table = (
        runs.assign(trained=is_trained, test_acc=runs.final_test_acc.where(is_trained))
        .groupby(CELL_KEYS, sort=False)
        .agg(
            nets=("run_id", "size"),
            trained=("trained", "sum"),
            dead=("dead_final_full", "mean"),
            inactive=("inactive_final_full", "mean"),
            test_acc=("test_acc", lambda acc: acc.mean()),  # in the column's float32
        )
        .reset_index()
    )
    convergence = convergence_table(runs)[CELL_KEYS + ["epochs_to_target_km_median"]]
    table = table.merge(convergence, on=CELL_KEYS).rename(
        columns={"epochs_to_target_km_median": "epochs_to_target"}
    )
    return table.sort_values(CELL_KEYS[:1], kind="stable").reset_index(drop=True)
