"""Report figures. A new figure is one function here and one entry under ``figures:`` in config.yaml
(naming the experiment it draws from); the function's docstring is the figure's caption (in the
report and in ``snakemake --report``), so it says what is drawn and on which units. The same figure
for another experiment is one more entry that names the function:
``loss_curves_mnist5k: {fn: loss_curves, experiment: mnist5k}``.

Each function takes the study's tables (``deadunits.tables.StudyTables``), the config and the
experiment name, and returns a matplotlib figure.
"""

import inspect
import itertools

import numpy as np
import pandas as pd
import torch

from deadunits.activations import build_activation
from deadunits.outcomes import final_layers
from deadunits.registry import Registry
from deadunits.stats import at_best_lr, mean_ci
from deadunits.summary import fix_conditions

FIGURES = Registry("figure")
CS231N = ("R6", "CS231n: 'as much as 40% can be dead' (claim R6).")  # the dashed 40% line
CI = dict(errorbar=lambda values: mean_ci(values)[1:3])  # the claims' t-intervals over seeds


class NothingToDraw(ValueError):
    """A figure with no data in this study; the report leaves it out and says why."""


def figure(name, reads=(), cites=None):
    """Register a figure under ``name``; ``reads`` names the tables it reads beyond the runs,
    curves and layers (deadunits/preflight.py: OPTIONAL_TABLES), so that a study without this
    figure never builds them. ``cites`` is ``(claim, sentence)``: the sentence joins the caption
    only where the figure draws an experiment that claim reads (the source describes it)."""

    def add(fn):
        fn.reads, fn.cites = tuple(reads), cites
        return FIGURES.register(name)(fn)

    return add


def figure_fn(name: str, options: dict | None) -> str:
    """The FIGURES function (and caption) a ``figures:`` entry draws: its ``fn``, else its name."""
    return (options or {}).get("fn", name)


def caption(fn: str, experiment: str | None = None, claims: dict | None = None) -> str:
    """A figure's caption: the docstring of its function here (its one home), and its source's
    sentence where the study's ``claims`` read ``experiment`` with the claim the figure cites."""
    text, cites = inspect.getdoc(FIGURES.get(fn)), FIGURES.get(fn).cites
    if cites and cites[0] in (claims or {}):
        read = ((claims or {})[cites[0]] or {}).get("experiments")
        if read is None or experiment is None or experiment in read:
            text += " " + cites[1]
    return text


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper")
    return plt, sns


def _pick(table: pd.DataFrame, experiment: str | None, what: str = "nets") -> pd.DataFrame:
    """The rows of one experiment (a figure of working nets reads ``tables.trained()``: a diverged
    or untrained net's units say nothing about a working net); none: NothingToDraw."""
    picked = table if experiment is None else table[table.experiment == experiment]
    if picked.empty:
        where = "the study" if experiment is None else f"experiment {experiment!r}"
        raise NothingToDraw(f"{where} has no {what}")
    return picked


@figure("activation_functions")
def activation_functions(tables, config, experiment):
    """Each activation of the study and its derivative on [-4, 4] (PReLU at its initial slope)."""
    plt, sns = _plt()
    z = torch.linspace(-4, 4, 401).view(
        1, -1, 1
    )  # one model, 401 units (PReLU: one slope each), one input
    rows = []
    trained = set(tables.runs.activation)
    for name, spec in config["activations"].items():
        if name not in trained:
            continue
        act = build_activation(spec, 1, 401)
        zz = z.clone().requires_grad_(True)
        y = act(zz)
        (dy,) = torch.autograd.grad(y.sum(), zz)
        rows.append(
            pd.DataFrame(
                {
                    "z": z.flatten(),
                    "phi(z)": y.detach().flatten(),
                    "phi'(z)": dy.flatten(),
                    "activation": name,
                }
            )
        )
    df = pd.concat(rows).melt(id_vars=["z", "activation"], var_name="curve")
    grid = sns.relplot(
        df,
        x="z",
        y="value",
        hue="activation",
        col="curve",
        kind="line",
        height=3.2,
        facet_kws={"sharey": False},
    )
    grid.set(ylim=(-2, 4))
    return grid.figure


@figure("dead_heatmap")
def dead_heatmap(tables, config, experiment):
    """Final dead fraction (no gradient on the whole training set) of the trained nets (diverged and
    untrained left out), mean over seeds and lrs, activation x depth, one panel per init."""
    plt, sns = _plt()
    runs = _pick(tables.trained().runs, experiment, "trained nets")
    inits = sorted(runs.init.unique())
    fig, axes = plt.subplots(1, len(inits), figsize=(4.2 * len(inits), 3.8), squeeze=False)
    for ax, init in zip(axes[0], inits):
        grid = runs[runs.init == init].pivot_table(
            index="activation", columns="depth", values="dead_final_full", aggfunc="mean"
        )
        sns.heatmap(
            grid,
            annot=True,
            fmt=".2f",
            vmin=0,
            vmax=1,
            cmap="rocket_r",
            ax=ax,
            cbar=ax is axes[0][-1],
        )
        ax.set_title(f"init {init}: dead on all training inputs, after training")
    fig.tight_layout()
    return fig


@figure("dead_by_layer")
def dead_by_layer(tables, config, experiment):
    """Per-layer dead fraction (no gradient: |phi'| below the threshold on every probe input) at the
    end of training for the deepest trained nets, by activation."""
    plt, sns = _plt()
    layers = final_layers(_pick(tables.trained().layers, experiment, "trained nets"))
    layers = layers[layers.depth == layers.depth.max()]
    ax = sns.lineplot(layers, x="layer", y="dead", hue="activation", style="init", **CI)
    ax.set(
        title=f"dead units per layer, depth {layers.depth.max()}, end of training",
        ylabel="dead fraction",
    )
    return ax.figure


@figure("dead_at_init")
def dead_at_init(tables, config, experiment):
    """Dead fraction per hidden layer before any training (epoch 0, probe set), mean and 95% CI over
    seeds, by init, one panel per net (titled by its hidden widths): PyTorch's default `nn.Linear`
    init shrinks the signal layer by layer until the biases decide, and units with a negative bias
    are dead on every input."""
    plt, sns = _plt()
    layers = _pick(tables.layers, experiment)
    layers = layers[layers.epoch == 0]
    grid = sns.relplot(
        layers,
        x="layer",
        y="dead",
        hue="init",
        style="activation",
        col="layer_widths",
        kind="line",
        marker="o",
        **CI,
        height=3,
        facet_kws={"sharex": False},
    )
    grid.set(ylabel="dead fraction before training")
    return grid.figure


@figure("inactive_over_training")
def inactive_over_training(tables, config, experiment):
    """Inactive units (z <= 0 on every probe input) of the trained nets, split into those inactive
    since init and those that became inactive (active at init), and revived units (active again
    after being inactive at an earlier probe), per probed epoch. For ReLU inactive is dead; a Leaky
    ReLU, ELU, tanh or sigmoid unit still gets gradient."""
    plt, sns = _plt()
    layers = _pick(tables.trained().layers, experiment, "trained nets")
    df = (
        layers.groupby(["activation", "epoch", "run_id"])[
            ["inactive_since_init", "became_inactive", "revived"]
        ]
        .mean()
        .reset_index()
    )
    df = df.melt(
        id_vars=["activation", "epoch", "run_id"], var_name="status", value_name="fraction of units"
    )
    grid = sns.relplot(
        df,
        x="epoch",
        y="fraction of units",
        hue="status",
        col="activation",
        col_wrap=4,
        kind="line",
        **CI,
        height=2.4,
    )
    return grid.figure


@figure("loss_curves")
def loss_curves(tables, config, experiment):
    """Training and test loss per epoch, mean and 95% CI over seeds, per activation (all lrs pooled
    by lr)."""
    plt, sns = _plt()
    curves = _pick(tables.curves, experiment)
    df = curves.melt(
        id_vars=["activation", "epoch", "lr", "depth"],
        value_vars=["train_loss", "test_loss"],
        var_name="split",
    )
    grid = sns.relplot(
        df,
        x="epoch",
        y="value",
        hue="activation",
        col="split",
        row="depth",
        kind="line",
        **CI,
        height=2.6,
        facet_kws={"sharey": False},
    )
    grid.set(yscale="log")
    return grid.figure


@figure("convergence")
def convergence(tables, config, experiment):
    """Kaplan-Meier curves (lifelines): the share of runs whose smoothed training metric has not yet
    reached the target, against optimizer steps; every run counts, one that never reaches it is
    censored at its budget. Each activation at its lr best on validation, one panel per depth;
    shaded: 95% confidence band."""
    from lifelines import KaplanMeierFitter

    from deadunits.stats import time_to_event

    plt, sns = _plt()
    runs = at_best_lr(_pick(tables.runs, experiment), ["activation", "depth"], "final_val_acc")
    depths = sorted(runs.depth.unique())
    fig, axes = plt.subplots(
        1, len(depths), figsize=(4.5 * len(depths), 3.6), sharey=True, squeeze=False
    )
    colours = dict(
        zip(sorted(runs.activation.unique()), sns.color_palette("tab20", runs.activation.nunique()))
    )
    for ax, depth in zip(axes[0], depths):
        for act, g in runs[runs.depth == depth].groupby("activation"):
            events = time_to_event(g)
            KaplanMeierFitter(label=f"{act} (lr {g.lr.iloc[0]:g})").fit(
                events.duration, events.observed
            ).plot_survival_function(ax=ax, color=colours[act], ci_alpha=0.1)
        ax.set(title=f"depth {depth}", xlabel="optimizer steps", ylabel="share not yet at target")
        ax.legend(fontsize=6)
    return fig


@figure("grad_norms")
def grad_norms(tables, config, experiment):
    """Weight-gradient L2 norm per layer, at init (fixed batch) and at the last epoch (mean over
    steps)."""
    plt, sns = _plt()
    layers = _pick(tables.layers, experiment)
    layers = layers[
        layers.epoch.isin([0, layers.epoch.max()]) & (layers.depth == layers.depth.max())
    ]
    layers = layers.assign(when=np.where(layers.epoch == 0, "at init", "last epoch"))
    grid = sns.relplot(
        layers,
        x="layer",
        y="grad_norm_mean",
        hue="init",
        style="activation",
        col="when",
        kind="line",
        **CI,
        height=3,
    )
    grid.set(yscale="log")
    return grid.figure


@figure("dead_vs_lr", cites=CS231N)
def dead_vs_lr(tables, config, experiment):
    """Final dead fraction (no gradient on the whole training set) of the trained nets against
    learning rate, dashed at 40%; a learning rate at which no net trained has no point."""
    plt, sns = _plt()
    runs = _pick(tables.trained().runs, experiment, "trained nets")
    ax = sns.lineplot(runs, x="lr", y="dead_final_full", hue="activation", marker="o", **CI)
    ax.axhline(0.4, ls="--", c="grey")
    ax.set(
        xscale="log",
        ylabel="dead on all training inputs, after training",
        title="dead units against learning rate",
    )
    return ax.figure


@figure("dying", cites=CS231N)
def dying(tables, config, experiment):
    """Where ReLU units die: each net's dead fraction (no gradient on the whole training set; a
    diverged net at its last finite step) against learning rate, one panel per optimizer and depth,
    coloured by outcome; the black line is the mean over all nets of a learning rate, the dashed
    one 40%."""
    plt, sns = _plt()
    runs = _pick(tables.runs, experiment)
    grid = sns.FacetGrid(runs, row="optimizer", col="depth", sharex="row", height=2.4, aspect=1.1)
    grid.map_dataframe(sns.lineplot, x="lr", y="dead_final_full", color="k", errorbar=None)
    grid.map_dataframe(
        sns.stripplot,
        x="lr",
        y="dead_final_full",
        hue="outcome",
        native_scale=True,
        hue_order=["trained", "untrained", "diverged"],
        jitter=False,
        alpha=0.7,
        palette="deep",
    )
    for ax in grid.axes.flat:
        ax.axhline(0.4, ls="--", c="grey")
        ax.set_xscale("log")
    grid.add_legend()
    grid.set_axis_labels("learning rate", "dead, all training inputs")
    return grid.figure


@figure("revival", reads=["revival"])
def revival(tables, config, experiment):
    """Revival experiment: each net's share of killed ReLU units (pre-activation below 0 on every
    training input) that fire again after training on with each activation from the same weights,
    on the whole training set; the bar is the mean over seeds with its 95% t-interval."""
    plt, sns = _plt()
    table = tables.revival.melt(
        id_vars=["activation", "seed"],
        var_name="units",
        value_vars=["revived", "revived_first_layer"],
    )
    table["units"] = table.units.map(
        {"revived": "all layers", "revived_first_layer": "first layer"}
    )
    grid = sns.catplot(
        table,
        x="activation",
        y="value",
        col="units",
        kind="bar",
        height=3.2,
        **CI,
    )
    grid.map_dataframe(sns.stripplot, x="activation", y="value", color="k", size=3)
    grid.set_axis_labels("", "killed units that fire again")
    grid.tick_params(axis="x", labelrotation=30)
    return grid.figure


@figure("dead_cost", reads=["dead_cost"])
def dead_cost(tables, config, experiment):
    """What a dead unit costs. Left: test error of ReLU nets that trained with many dead units,
    before and after ablating the units dead on the training set (one line per net). Right: nets
    that failed at a high learning rate, trained on at a low one as they are and with their dead
    units re-initialised (one line per net, by outcome after the high learning rate)."""
    plt, sns = _plt()
    cost = tables.dead_cost
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.4))
    ablate = cost[cost.setup == "ablate"]
    for r in ablate.itertuples():
        left.plot([0, 1], [r.test_error, r.ablated_test_error], "o-", c="C0", alpha=0.6)
    left.set(
        xticks=[0, 1],
        xticklabels=["as trained", "dead units ablated"],
        ylabel="test error",
        title=f"{ablate.dead.mean():.0%} of units dead",
    )
    recover = cost[cost.setup == "recover"]
    colours = {"trained": "C0", "untrained": "C1", "diverged": "C3"}
    for r in recover.itertuples():
        right.plot(
            [0, 1],
            [r.as_is_train_error, r.reinit_train_error],
            "o-",
            alpha=0.6,
            c=colours[r.outcome],
            label=r.outcome,
        )
    handles = dict(zip(*right.get_legend_handles_labels()[::-1]))
    right.legend(handles.values(), handles.keys(), title="after the high lr")
    right.set(
        xticks=[0, 1],
        xticklabels=["trained on as is", "dead re-initialised"],
        ylabel="final training error",
        title="failed nets, trained on",
    )
    fig.tight_layout()
    return fig


@figure("prelu_slopes")
def prelu_slopes(tables, config, experiment):
    """Learned PReLU negative slope per layer at the end of training, trained nets (init 0.25),
    one line per depth (colour) and learning rate (style): slopes differ by learning rate."""
    plt, sns = _plt()
    layers = final_layers(_pick(tables.trained().layers, experiment, "trained nets"))
    layers = _pick(layers.dropna(subset=["prelu_slope"]), experiment, "trained PReLU nets")
    ax = sns.lineplot(
        layers.assign(lr=layers.lr.map("lr {:g}".format)),
        x="layer",
        y="prelu_slope",
        hue="depth",
        style="lr",
        marker="o",
        **CI,
    )
    ax.axhline(0.25, ls="--", c="grey")
    ax.set(title="learned PReLU slopes (dashed: init)")
    return ax.figure


@figure("bias_shift")
def bias_shift(tables, config, experiment):
    """Mean activation and bias shift (median over units of each unit's mean activation, Clevert et
    al.'s measure) per layer at the end of training, trained nets, by activation (ELU's claim: near
    0)."""
    plt, sns = _plt()
    layers = final_layers(_pick(tables.trained().layers, experiment, "trained nets"))
    layers = layers[layers.depth == layers.depth.max()]
    df = layers.melt(
        id_vars=["activation", "layer"], value_vars=["act_mean", "bias_shift"], var_name="statistic"
    )
    grid = sns.relplot(
        df, x="layer", y="value", hue="activation", col="statistic", kind="line", **CI, height=3
    )
    return grid.figure


@figure("accuracy")
def accuracy(tables, config, experiment):
    """Final test accuracy per activation and dataset, mean and 95% CI over seeds, each at the lr
    with the best validation accuracy."""
    plt, sns = _plt()
    runs = _pick(tables.runs, experiment)
    runs = at_best_lr(runs, ["dataset", "activation", "depth"], "final_val_acc")
    grid = sns.catplot(
        runs,
        x="activation",
        y="final_test_acc",
        hue="depth",
        col="dataset",
        kind="bar",
        **CI,
        height=3.2,
        aspect=1.6,
    )
    grid.tick_params(axis="x", rotation=45)
    return grid.figure


@figure("collapse")
def collapse(tables, config, experiment):
    """Share of networks born dead (output constant over the probe set at init) and collapsed after
    training (judged by the function: final training loss at least 0.9 times that of the best
    constant, or diverged)."""
    plt, sns = _plt()
    runs = _pick(tables.runs, experiment)
    runs = runs.assign(collapsed_after_training=runs.outcome != "trained")
    df = runs.melt(
        id_vars=["activation", "init", "width"],
        value_vars=["born_dead", "collapsed_after_training"],
        var_name="when",
    )
    df["value"] = df.value.astype(float)
    grid = sns.catplot(
        df,
        x="init",
        y="value",
        hue="activation",
        col="when",
        row="width",
        kind="bar",
        errorbar=lambda shares: mean_ci(shares, rate=True)[1:3],  # rates of 0/1 runs
        height=2.8,
        aspect=1.3,
    )
    grid.set(ylabel="collapsed networks", ylim=(0, 1))
    return grid.figure


@figure("fixes", reads=["fix_cost"])
def fixes(tables, config, experiment):
    """Which fix? Each fix alone (colour) against the plain net (black), one point per learning
    rate (marker): the dead fraction on the whole training set against test accuracy, over all nets
    (each outcome; a diverged net at its last finite step), mean and 95% t-interval over seeds. One
    panel per optimizer of the plain net (a weight-decay variant sits with the optimizer whose
    learning rates it trains) and depth. Solid and large: the lowest lr where most plain nets fail;
    faint: the other lrs. Good fixes sit top left there: units alive and accuracy kept."""
    plt, sns = _plt()
    points = fix_conditions(_pick(tables.runs, experiment))
    if points.empty or set(points.variant) == {"none"}:
        raise NothingToDraw(f"experiment {experiment!r} has no variants to compare")
    panels = points[["optimizer", "depth"]].drop_duplicates().values.tolist()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels) + 1.6, 4.4), squeeze=False)
    variants = [v for v in points.variant.unique() if v != "none"]
    colours = {"none": "black", **dict(zip(variants, sns.color_palette("tab20", len(variants))))}
    markers = dict(zip(sorted(points.lr.unique()), itertools.cycle("osD^v<>p*hX")))
    for ax, (optimizer, depth) in zip(axes[0], panels):
        panel = points[(points.optimizer == optimizer) & (points.depth == depth)]
        for p in panel.sort_values("plain_fails").itertuples():
            ax.errorbar(
                p.dead,
                p.test_acc,
                xerr=[[p.dead - p.dead_low], [p.dead_high - p.dead]],
                yerr=[[p.test_acc - p.acc_low], [p.acc_high - p.test_acc]],
                marker=markers[p.lr],
                color=colours[p.variant],
                ms=8 if p.plain_fails else 5,
                lw=1.0 if p.plain_fails else 0.6,
                alpha=1.0 if p.plain_fails else 0.3,
            )
        fails = panel[panel.plain_fails].lr
        fails = f"plain nets fail from lr {fails.iloc[0]:g}" if len(fails) else "plain nets train"
        ax.set(
            title=f"{optimizer}, depth {depth}: {fails}",
            xlabel="dead on all training inputs, after training",
            ylabel="test accuracy",
            xlim=(-0.03, 1),
            ylim=(0, 1),
        )
    handles = [plt.Line2D([], [], color=c, lw=3, label=v) for v, c in colours.items()]
    handles += [
        plt.Line2D([], [], color="grey", marker=m, ls="", label=f"lr {lr:g}")
        for lr, m in markers.items()
    ]
    fig.legend(handles=handles, loc="center right", fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0, 1 - 1.5 / fig.get_figwidth(), 1))
    return fig


@figure("born_dead", reads=["born_dead"])
def born_dead(tables, config, experiment):
    """Born-dead probability at init (no training): share of freshly He-initialised ReLU nets (zero
    bias) with a hidden layer that has no active unit at one fixed input (o: p_empirical, 95% exact
    interval over draws) against 1 - (1 - 2^-width)^depth (lines: p_theory), and the share whose
    output is constant over the whole probe set (x: p_dataset)."""
    plt, sns = _plt()
    bd = tables.born_dead
    fig, ax = plt.subplots(figsize=(6, 4))
    palette = dict(zip(sorted(bd.width.unique()), sns.color_palette(n_colors=bd.width.nunique())))
    for width, g in bd.groupby("width"):
        ax.plot(g.depth, g.p_theory, color=palette[width], label=f"width {width}: 1-(1-2^-N)^L")
        ax.errorbar(
            g.depth,
            g.p_empirical,
            yerr=[g.p_empirical - g.ci_low, g.ci_high - g.p_empirical],
            fmt="o",
            color=palette[width],
            capsize=3,
        )
        ax.plot(g.depth, g.p_dataset, "x", color=palette[width])
    ax.set(
        xlabel="depth (hidden layers)",
        ylabel="probability",
        title="born dead at init: o at one input, x over the probe set",
    )
    ax.legend(fontsize=7)
    return fig


@figure("length_variance", reads=["lengths"])
def length_variance(tables, config, experiment):
    """Squared activation length at init (no training): for He-initialised ReLU nets of the widths
    and depths under `simulate.lengths`, log(1 + Var/mean²) of the last hidden layer's squared
    length over random draws, against the sum of 1/width over layers (Hanin & Rolnick 2018:
    exponential in that sum). Dashed lines: the exact prediction (1 + 5/width)^depth − 1 per width.
    Crosses: cells whose predicted ratio exceeds the square root of the number of draws; a sample of
    N draws cannot show a ratio above N − 1, and this heavy-tailed one falls short well before, so
    claim R8 fits only the circles."""
    plt, sns = _plt()
    lengths = tables.lengths.assign(
        log_var=lambda d: np.log1p(d.normalised_variance),
        log_predicted=lambda d: np.log1p(d.predicted),
        shown=lambda d: d.measurable.map(
            {True: "predicted <= sqrt(draws)", False: "beyond sqrt(draws)"}
        ),
    )
    ax = sns.lineplot(
        lengths,
        x="sum_inv_width",
        y="log_predicted",
        hue="width",
        palette="viridis",
        ls="--",
        legend=False,
    )
    sns.scatterplot(
        lengths,
        x="sum_inv_width",
        y="log_var",
        hue="width",
        style="shown",
        palette="viridis",
        s=50,
        markers={"predicted <= sqrt(draws)": "o", "beyond sqrt(draws)": "X"},
        ax=ax,
    )
    ax.set(
        xlabel="sum over layers of 1/width",
        ylabel="log(1 + Var |h|^2 / mean^2)",
        title="squared length at init, He ReLU (dashed: exact prediction)",
    )
    ax.legend(fontsize=7)
    return ax.figure


@figure("activation_cost", reads=["cost"])
def activation_cost(tables, config, experiment):
    """Forward plus backward time of each activation on the same tensors, relative to ReLU: the
    ratio of median times over separate processes, with a 95% t-interval of the per-process ratios
    (timed alone on the machine)."""
    plt, sns = _plt()
    cost = tables.cost.dropna(subset=["relative_to_relu"]).sort_values("relative_to_relu")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.barh(
        cost.activation,
        cost.relative_to_relu,
        xerr=[  # a ratio of medians can sit just outside the interval of the per-process ratios
            (cost.relative_to_relu - cost.ci_low).clip(lower=0),
            (cost.ci_high - cost.relative_to_relu).clip(lower=0),
        ],
        color=sns.color_palette()[0],
        capsize=3,
    )
    ax.axvline(1.0, ls="--", c="grey")
    ax.set(xlabel="time relative to ReLU", title="cost of forward + backward, same tensors")
    return fig
