"""The source texts' claims and the published results (docs/claims.md), each checked against the
tables.

A claim is one function registered under its id; it returns rows of claims.csv: what was expected,
what was measured (mean and 95% interval over seeds of one condition), and a verdict computed by the
rule its docstring states. A rule can come out either way (tests/test_claims.py drives each to every
verdict it gives); it says ``inconclusive`` when the data cannot decide (too few trained nets, both
arms at zero, a budget too short for the reference arm). Rows have a ``kind``: ``claim`` (a
reproduction), ``sanity`` (a property that holds by construction or checks our code: shown apart,
never counted) or ``contrast`` (the other side of a claim, not counted either). Which experiments
feed a claim is named under ``claims:`` in config.yaml (none named: all runs); which config entries
it reads is declared where it is registered (``needs``). A claim whose experiments or arms have no
runs produces no row, and claims_status.csv says so.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from deadunits.outcomes import final_layers
from deadunits.registry import Registry
from deadunits.stats import (
    adjust,
    at_best_lr,
    km_median,
    km_median_ratio,
    mean_ci,
    p_beyond,
    time_to_event,
)
from deadunits.summary import FAILS, against_plain, by_outcome, too_high
from deadunits.tables import StudyTables, trained

CLAIMS = Registry("claim")
VERDICTS = ("reproduced", "partly", "not reproduced", "inconclusive")
KINDS = ("claim", "sanity", "contrast", "benchmark")
ALPHA = 0.025  # one-sided, the level that matches a two-sided 95% interval
MIN_NETS = 8  # fewer values than this (trained nets, or seeds paired) in a row: inconclusive


def claim(name, nets="all", reads=(), **needs):
    """Register a claim under ``name``. ``needs`` names the config entries it reads, by registry
    (``activations=["relu"]``): the dry run fails when one is not defined or not trained by the
    claim's experiments (deadunits/study.py), instead of the claim silently producing no rows.
    ``nets="trained"`` marks a claim about working nets: it sees only runs whose outcome is
    ``trained``, and its rows say how many were left out; a claim about failure or about init sees
    all runs. ``reads`` names the tables it reads beyond runs, curves and layers
    (deadunits/preflight.py: OPTIONAL_TABLES)."""

    def add(fn):
        fn.needs, fn.nets, fn.reads = needs, nets, tuple(reads)
        return CLAIMS.register(name)(fn)

    return add


def record(
    *,
    claim_id,
    text,
    source,
    condition,
    expected,
    measured,
    low,
    high,
    n,
    verdict,
    kind="claim",
    caveat="",
    bound="",
    p=np.nan,
):
    """One claims.csv row; ``verdict`` must be one of VERDICTS and ``kind`` one of KINDS; ``bound``
    is "lower" when ``measured`` is only a lower bound (a median beyond the budget); ``p`` the
    one-sided p-value of the row's rule (NaN where the rule is not a test)."""
    assert verdict in VERDICTS and kind in KINDS and bound in ("", "lower"), (verdict, kind, bound)
    return dict(
        claim_id=claim_id,
        claim=text,
        source=source,
        kind=kind,
        condition=condition,
        expected=expected,
        measured=measured,
        ci_low=low,
        ci_high=high,
        bound=bound,
        n=n,
        p=p,
        p_adj=np.nan,
        verdict=verdict,
        caveat=caveat,
    )


@dataclass(frozen=True)
class Rule:
    """A written-down verdict rule (docs/claims.md). ``above``/``below``: the mean lies beyond
    ``null`` (one-sided test at ALPHA on the adjusted p); reproduced when the interval also reaches
    the published ``magnitude`` (if any), else partly; not reproduced when the test fails.
    ``within``: the mean lies within ``tol`` of ``null`` (two one-sided tests); not reproduced when
    the interval lies outside that band, inconclusive when it straddles an edge."""

    direction: str
    null: float = 0.0
    magnitude: float | None = None
    tol: float = 0.0

    def p(self, values) -> float:
        if self.direction == "within":
            return max(
                p_beyond(values, self.null - self.tol, "above"),
                p_beyond(values, self.null + self.tol, "below"),
            )
        return p_beyond(values, self.null, self.direction)

    def verdict(self, low, high, p) -> str:
        if self.direction == "within":
            outside = high < self.null - self.tol or low > self.null + self.tol
            return "reproduced" if p < ALPHA else "not reproduced" if outside else "inconclusive"
        if not p < ALPHA:
            return "not reproduced"
        if self.magnitude is None:
            return "reproduced"
        reaches = high >= self.magnitude if self.direction == "above" else low <= self.magnitude
        return "reproduced" if reaches else "partly"


def ci_above(threshold, magnitude=None):
    return Rule("above", threshold, magnitude)


def ci_below(threshold, magnitude=None):
    return Rule("below", threshold, magnitude)


def ci_within(value, tol):
    return Rule("within", value, tol=tol)


above_zero, below_zero = ci_above(0.0), ci_below(0.0)


def row(
    *,
    claim_id,
    text,
    source,
    condition,
    expected,
    values,
    rule,
    kind="claim",
    caveat="",
    undecided=None,
    partly_unless=True,
):
    """One row from the per-seed ``values`` (mean and 95% interval, ``mean_ci``) judged by ``rule``:
    a Rule, or for a contrast a function of (mean, low, high) that returns one of VERDICTS. It is
    ``inconclusive`` instead when ``undecided`` gives a reason, or with fewer than MIN_NETS values;
    the reason becomes the row's caveat. ``partly_unless`` False turns reproduced into partly (a
    second condition of the claim failed). The verdict is decided again on the adjusted p by
    ``evaluate``."""
    mean, low, high, n = mean_ci(values)
    if n < MIN_NETS:
        undecided = undecided or f"only {n} nets (at least {MIN_NETS} needed)"
    p = rule.p(values) if isinstance(rule, Rule) and n else np.nan

    def decide(p_now):
        if undecided:
            return "inconclusive"
        verdict = (
            rule.verdict(low, high, p_now) if isinstance(rule, Rule) else rule(mean, low, high)
        )
        return "partly" if verdict == "reproduced" and not partly_unless else verdict

    out = record(
        claim_id=claim_id,
        text=text,
        source=source,
        condition=condition,
        expected=expected,
        measured=mean,
        low=low,
        high=high,
        n=n,
        verdict=decide(p),
        kind=kind,
        caveat=undecided or caveat,
        p=p,
    )
    return dict(out, decide=decide if isinstance(rule, Rule) and not undecided else None)


def paired(
    runs,
    column,
    value_a,
    value_b,
    metric,
    keys=("dataset", "depth", "width", "norm", "residual", "intervention", "lr", "seed"),
):
    """metric(a) - metric(b) for runs that differ only in ``column``, matched on ``keys`` (same
    seed; the keys a table has)."""
    keys = [k for k in keys if k in runs.columns]
    a = runs[runs[column] == value_a].set_index(list(keys))[metric].astype(float)
    b = runs[runs[column] == value_b].set_index(list(keys))[metric].astype(float)
    return (a - b).dropna()


def by_seed(a, b, column) -> pd.Series:
    """``column`` of runs ``a`` minus that of runs ``b``, paired by seed (each seed once per side):
    the values of a claim that compares two arms of the same seeds."""
    pairs = a[["seed", column]].merge(b[["seed", column]], on="seed", validate="one_to_one")
    return (pairs[f"{column}_x"] - pairs[f"{column}_y"]).astype(float).dropna()


def on_validation(runs, by=("activation", "init", "depth", "width")):
    """One condition per group: the runs at the group's learning rate with the best mean validation
    accuracy (chosen on held-out training data, never on the test set)."""
    return at_best_lr(runs, list(by), "final_val_acc")


@claim("R1", reads=["born_dead"])
def born_dead_at_init(t):
    """Sanity check of our code against an exact formula: the share of He-init zero-bias ReLU nets
    dead at one input. Rule: reproduced when the simulated share is within 3 binomial standard
    errors of 1-(1-2^-N)^L."""
    bd = t.born_dead
    rows = []
    for width, depth, published in [(2, 10, 0.944), (3, 10, 0.737), (5, 10, 0.272), (4, 20, 0.725)]:
        cell = bd[(bd.width == width) & (bd.depth == depth)]
        if cell.empty:
            continue
        c = cell.iloc[0]
        se = np.sqrt(c.p_theory * (1 - c.p_theory) / c.n)
        rows.append(
            record(
                claim_id=f"R1-w{width}-d{depth}",
                text="a ReLU net is born dead at a fixed input with probability 1-(1-2^-N)^L",
                source="Lu et al. 2020",
                condition=f"width {width}, depth {depth}, He init, zero bias, {c.n} independent "
                "draws",
                expected=f"{published} (exact)",
                measured=c.p_empirical,
                low=c.ci_low,
                high=c.ci_high,
                n=c.n,
                verdict="reproduced"
                if abs(c.p_empirical - c.p_theory) <= 3 * se
                else "not reproduced",
                kind="sanity",
                caveat="checks the simulation against the formula; reproduces no experiment",
            )
        )
    return rows


R2_SETUP = (
    "Lu et al.'s numbers are second-hand; our training: Adam lr 0.003, batch 128, 30 epochs on "
    "2550 points"
)
R3_SETUP = "an MLP on 8x8 digits (He et al.: 22- and 30-layer conv nets on ImageNet)"


def _collapse_budget(arm, curves, falling_is_fine=False):
    """(condition text, reason to be inconclusive or None) for one arm of R2: its collapse rate must
    have settled. Judged by the function (epoch-mean training loss at least 0.9 times the best
    constant's, or diverged) at the probe nearest half the budget and at the end; rates more than
    0.02 apart mean the budget was too short to tell. ``falling_is_fine`` for an arm claimed to
    collapse less than ReLU: a rate still falling can only widen that gap."""
    end = (arm.outcome != "trained").mean()
    probes = curves[curves.run_id.isin(arm.run_id)]
    if probes.empty:
        return f"collapse = final training loss at least 0.9 Var(y) or diverged; {end:.1%}", None
    half = probes.epoch[probes.epoch <= probes.epoch.max() / 2].max()
    loss = probes[probes.epoch == half].set_index("run_id").train_loss.reindex(arm.run_id)
    earlier = (~(loss.to_numpy() < 0.9 * arm.constant_loss.to_numpy())).mean()  # NaN: diverged
    text = (
        f"collapse = final training loss at least 0.9 Var(y) or diverged: {end:.1%} at the end, "
        f"{earlier:.1%} at epoch {half}"
    )
    moving = end - earlier > 0.02 if falling_is_fine else abs(end - earlier) > 0.02
    reason = f"the collapse rate still moves ({earlier:.1%} at epoch {half}, {end:.1%} at the end)"
    return text, f"{reason}: budget too short" if moving else None


def _either(*reasons):
    return next((r for r in reasons if r), None)


@claim("R2", activations=["relu"], inits=["he", "rai", "he_bias0.1"])
def collapse_to_constant(t):
    """Deep narrow ReLU nets fitting |x| collapse to a constant function. Collapse is judged by the
    function (final loss at least 0.9 Var(y), or diverged), never by exact constancy. Rules: R2-he
    ``ci_above(0.5, magnitude=0.9)`` on the collapse rate; each other init or activation against He,
    paired by seed, ``below_zero`` (RAI reproduced only when its rate is within 0.05 of the
    second-hand 0.29, else partly); widths 3/5/10 ``ci_within(0.6, 0.1)`` / ``ci_above(0.1)`` /
    ``ci_below(0.01)``. Inconclusive when an arm's collapse rate still moves between half the
    budget and the end (``_collapse_budget``; for the arms compared with He, only a rising rate)."""
    runs = t.runs.assign(collapsed=lambda r: r.outcome != "trained")  # a rate: booleans
    relu, rows = runs[runs.activation == "relu"], []
    he = relu[(relu.init == "he") & (relu.width == 2)]
    if he.empty:
        return []
    he_fits, he_short = _collapse_budget(he, t.curves)
    rows.append(
        row(
            claim_id="R2-he",
            text="10-layer width-2 ReLU nets fitting |x| collapse to a constant",
            source="Lu et al. 2020",
            condition=f"relu, He init, width 2, depth 10; {he_fits}",
            expected="> 0.9 (second-hand)",
            values=he.collapsed,
            rule=ci_above(0.5, magnitude=0.9),
            undecided=he_short,
            caveat=R2_SETUP,
        )
    )
    for init, expected, published in [
        ("rai", "about 0.29 (second-hand), below He", 0.29),
        ("he_bias0.1", "below He", None),
    ]:
        other = relu[(relu.init == init) & (relu.width == 2)]
        if len(other):
            fits, short = _collapse_budget(other, t.curves, falling_is_fine=True)
            diff = paired(relu[relu.width == 2], "init", init, "he", "collapsed")
            _, lo, hi, _ = mean_ci(other.collapsed)
            near = published is None or lo - 0.05 <= published <= hi + 0.05
            rows.append(
                row(
                    claim_id=f"R2-{init}",
                    text=f"{init} cuts the collapse rate",
                    source="Lu et al. 2020",
                    condition=f"relu, {init} minus He, width 2, depth 10, paired by seed; its rate "
                    f"{other.collapsed.mean():.3f} [{lo:.3f}, {hi:.3f}]; {fits}",
                    expected=expected,
                    values=diff,
                    rule=below_zero,
                    undecided=_either(short, he_short),
                    caveat=R2_SETUP,
                    partly_unless=near,
                )
            )
    for act in sorted(set(runs.activation) - {"relu"}):
        other = runs[(runs.activation == act) & (runs.init == "he") & (runs.width == 2)]
        if len(other):
            fits, short = _collapse_budget(other, t.curves, falling_is_fine=True)
            same = runs[(runs.init == "he") & (runs.width == 2)]
            rows.append(
                row(
                    claim_id=f"R2-{act}",
                    text=f"{act} collapses less than ReLU",
                    source="seed texts 1-3",
                    condition=f"{act} minus relu, He init, width 2, depth 10, paired by seed; its "
                    f"rate {other.collapsed.mean():.3f}; {fits}",
                    expected="< 0",
                    values=paired(same, "activation", act, "relu", "collapsed"),
                    rule=below_zero,
                    undecided=_either(short, he_short),
                    caveat="the seed texts' claim, tested on Lu et al.'s setup",
                )
            )
    for width, expected, rule in [
        (3, "about 0.6 (second-hand; R1: 0.737 at init)", ci_within(0.6, 0.1)),
        (5, "> 0.1 (second-hand)", ci_above(0.1)),
        (10, "< 0.01 (second-hand)", ci_below(0.01)),
    ]:
        cell = relu[(relu.init == "he") & (relu.width == width)]
        if len(cell):
            fits, short = _collapse_budget(cell, t.curves)
            rows.append(
                row(
                    claim_id=f"R2-width{width}",
                    text="collapse falls as width grows",
                    source="Lu et al. 2020",
                    condition=f"relu, He init, width {width}, depth 10; {fits}",
                    expected=expected,
                    values=cell.collapsed,
                    rule=rule,
                    undecided=short,
                    caveat=R2_SETUP,
                )
            )
    return rows


@claim("R3", activations=["relu"], inits=["xavier", "he"])
def xavier_stalls_he_trains(t):
    """A deep plain ReLU net stalls with Xavier init and trains with He init; each at its lr with
    the best validation accuracy. Rules on the final training error: R3-he ``ci_below(0.5,
    magnitude=0.1)`` (trains, and reaches 10% for reproduced); R3-xavier ``ci_above(0.5)`` (stalls),
    inconclusive when He itself did not get below 0.5 (the budget cannot tell a stall from slow
    training). The activation-scale rows are sanity checks: He's scale preservation and Xavier's
    1/sqrt 2 per layer follow from their variances; read at the smallest lr (the nets at init are
    the same for every lr of a seed)."""
    runs = t.runs
    deep = runs[(runs.activation == "relu") & (runs.depth == runs.depth.max())]
    rows, depth = [], deep.depth.max()
    best = on_validation(deep[deep.init.isin(["xavier", "he"])])
    errors = {init: 1 - g.final_train_acc for init, g in best.groupby("init")}
    if len(errors) == 2:
        _, _, hi_h, _ = mean_ci(errors["he"])
        lrs = best.groupby("init").lr.first()
        rows.append(
            row(
                claim_id="R3-he",
                text="a deep plain ReLU net trains with He init",
                source="He et al. 2015",
                condition=f"relu, depth {depth}, He, lr {lrs['he']:g} (best on validation): final "
                "training error",
                expected="falls below 0.1",
                values=errors["he"],
                rule=ci_below(0.5, magnitude=0.1),
                caveat=R3_SETUP,
            )
        )
        rows.append(
            row(
                claim_id="R3-xavier",
                text="the same net stalls with Xavier init",
                source="He et al. 2015",
                condition=f"relu, depth {depth}, Xavier, lr {lrs['xavier']:g} (best on "
                "validation): final training error",
                expected="stays high (stalls)",
                values=errors["xavier"],
                rule=ci_above(0.5),
                caveat=R3_SETUP,
                undecided=None if hi_h < 0.5 else "the He arm did not train either",
            )
        )
    first_lr = deep[deep.lr == deep.lr.min()]
    at_init = t.layers[(t.layers.epoch == 0) & t.layers.run_id.isin(first_lr.run_id)]
    for init, per_layer in (("xavier", np.log10(0.5) / 2), ("he", 0.0)):
        g = at_init[at_init.run_id.isin(first_lr[first_lr.init == init].run_id)]
        if g.empty:
            continue
        rms = g.assign(rms=np.sqrt(g.act_std**2 + g.act_mean**2))
        scale = rms.pivot_table(index="run_id", columns="layer", values="rms")
        slope = np.log10(scale.iloc[:, -1] / scale.iloc[:, 0]) / (scale.shape[1] - 1)
        what = "falls by 1/sqrt 2 per layer" if per_layer else "stays"
        rows.append(
            row(
                claim_id=f"R3-scale-{init}",
                text="activation scale per layer at init",
                source="He et al. 2015",
                condition=f"relu, depth {depth}, {init}: log10 of the RMS activation ratio per "
                "layer",
                expected=f"{per_layer:.3f} ({what})",
                values=slope,
                rule=ci_within(per_layer, 0.02),
                kind="sanity",
                caveat="follows from the init's variance",
            )
        )
    return rows


def _fastest_on_validation(runs):
    """Each activation's runs at its fastest lr: the smallest Kaplan-Meier median of epochs until
    the validation error meets the target, ties to the best validation accuracy (Krizhevsky et al.
    chose each lr for speed; we choose it on held-out data)."""
    score = pd.DataFrame(
        [
            dict(
                activation=a,
                lr=lr,
                val_acc=-g.final_val_acc.mean(),
                median=km_median(time_to_event(g, "val_epochs_to_target", "budget_epochs")),
            )
            for (a, lr), g in runs.groupby(["activation", "lr"])
        ]
    )
    best = score.sort_values(["median", "val_acc"]).groupby("activation").head(1)
    return runs.merge(best[["activation", "lr"]])


@claim("R4", activations=["relu", "tanh", "sigmoid"])
def relu_six_times_faster(t):
    """ReLU reaches the training-error target six times faster than tanh (and, in CS231n's wording,
    sigmoid), per depth. Time to target is censored data: the ratio is that of Kaplan-Meier medians
    of epochs until the epoch's mean training error meets the target (lifelines; no moving average,
    whose start-up lag squeezes ratios toward 1), each activation at its fastest lr on the
    validation split, with a bootstrap CI over seeds; censored runs are kept. Rules: inconclusive
    when ReLU reaches the target in under 80% of its runs, or when the slow arm's median lies beyond
    the budget and the bound that leaves is below 6; partly when that bound is at least 6 (at least
    six times, exact factor unknown); otherwise reproduced when the CI holds 6, partly when it lies
    above 1, else not reproduced."""
    runs = t.runs
    rows = []
    for depth, at_depth in runs[runs.activation.isin(["relu", "tanh", "sigmoid"])].groupby("depth"):
        rows += _speed_rows(_fastest_on_validation(at_depth), depth)
    return rows


def _speed_rows(arms, depth):
    events = {
        a: time_to_event(g.set_index("seed"), "epochs_to_target", "budget_epochs")
        for a, g in arms.groupby("activation")
    }
    if "relu" not in events:
        return []
    reached, relu_median = events["relu"].observed.mean(), km_median(events["relu"])
    lrs, rows = arms.groupby("activation").lr.first(), []
    for slow in sorted({"tanh", "sigmoid"} & set(events)):
        ratio, low, high, n = km_median_ratio(events[slow], events["relu"])
        condition = (
            f"depth {depth}: Kaplan-Meier median epochs until the epoch's training error meets "
            f"the target, {slow} (lr {lrs[slow]:g}) over relu (lr {lrs['relu']:g}, median "
            f"{relu_median:.0f} epochs), each lr fastest on validation; "
            f"{events[slow].observed.sum()} of {len(events[slow])} {slow} and "
            f"{events['relu'].observed.sum()} of {len(events['relu'])} relu runs reached "
            "the target, the rest censored at the budget"
        )
        bound = np.floor(events[slow].duration.max() / relu_median * 100) / 100  # rounded down
        censored = not np.isfinite(ratio)
        if reached < 0.8:
            verdict, caveat = (
                "inconclusive",
                f"ReLU reached the target in only {reached:.0%} of its runs",
            )
        elif censored:
            verdict = "partly" if bound >= 6 else "inconclusive"
            caveat = f"{slow}'s median lies beyond the budget: the ratio is at least {bound:.2f}"
        else:
            verdict = (
                "reproduced" if low <= 6 <= high else "partly" if low > 1 else "not reproduced"
            )
            caveat = "an MLP on small data, not Krizhevsky's CNN on CIFAR-10"
        rows.append(
            record(
                claim_id=f"R4-{slow}-d{depth}",
                text=f"ReLU reaches the training-error target six times faster than {slow}",
                source="Krizhevsky et al. 2012 (tanh); CS231n (sigmoid)",
                condition=condition,
                expected="6",
                measured=bound if censored else ratio,
                low=np.nan if censored else low,
                high=np.nan if censored else high,
                n=n,
                verdict=verdict,
                caveat=caveat,
                bound="lower" if censored else "",
            )
        )
    return rows


@claim("R5", nets="trained", activations=["elu", "relu", "leaky_0.1"])
def elu_bias_shift_and_speed(t):
    """ELU has less bias shift than ReLU and Leaky ReLU 0.1, and its training loss falls faster
    (Clevert et al.). Bias shift is the paper's measure: each unit's mean activation over the probe
    set, the median over a layer's units, its magnitude averaged over the hidden layers at the end
    of training. Speed: the area under the training-loss curve. Rule for both: ELU minus the other,
    paired by seed, below 0 (``below_zero``)."""
    runs, layers = t.runs, t.layers
    last = final_layers(layers)
    r = runs.assign(
        bias_shift=runs.run_id.map(
            last.assign(size=last.bias_shift.abs()).groupby("run_id")["size"].mean()
        )
    )
    rows, caveat = (
        [],
        "8 x 128 MLP on 5000 MNIST digits, 10 epochs (the paper: 60000 digits, 300 epochs)",
    )
    for other in ("relu", "leaky_0.1"):
        if {"elu", other} <= set(r.activation):
            rows.append(
                row(
                    claim_id=f"R5-bias-{other}",
                    text=f"ELU has less bias shift than {other}",
                    source="Clevert et al. 2015; seed text 2",
                    condition="|median over units of each unit's mean activation|, averaged over "
                    "layers, end of training, ELU minus other, paired by seed",
                    expected="< 0",
                    values=paired(r, "activation", "elu", other, "bias_shift"),
                    rule=below_zero,
                    caveat=caveat,
                )
            )
            rows.append(
                row(
                    claim_id=f"R5-speed-{other}",
                    text=f"ELU's training loss falls faster than {other}'s",
                    source="Clevert et al. 2015; seed text 2",
                    condition="area under the training-loss curve, ELU minus other, paired by seed",
                    expected="< 0",
                    values=paired(r, "activation", "elu", other, "loss_auc"),
                    rule=below_zero,
                    caveat=caveat,
                )
            )
    return rows


@claim("R6", activations=["relu"])
def dead_fraction_at_high_lr(t):
    """As much as 40% of a ReLU net can be dead (no gradient on the whole training set) when the
    learning rate is too high (CS231n). Per optimizer and depth of the ReLU lr grid: R6 reads every
    net, whatever its outcome (a diverged net at its last finite step), at the lowest lr where
    fewer than half the nets train (``too_high``); R6-trained the nets that still train, at the
    highest lr where at least MIN_NETS do. Rule for both: ``ci_above(0.1, magnitude=0.4)``: many
    units die, and the interval reaches 40%."""
    relu = t.runs[t.runs.activation == "relu"]
    rows, source = [], "CS231n notes"
    text = "as much as 40% of a ReLU network can be dead if the learning rate is set too high"
    for (optimizer, depth), grid in relu.groupby(["optimizer", "depth"]):
        working = trained(grid)
        counts = working.groupby("lr").size().reindex(sorted(grid.lr.unique()), fill_value=0)
        per_lr = ", ".join(f"{lr:g}: {n}" for lr, n in counts.items())
        lr, why = too_high(grid)
        at_lr = grid[grid.lr == lr]
        where = f"relu, {optimizer}, depth {depth}"
        rows.append(
            row(
                claim_id=f"R6-{optimizer}-d{depth}",
                text=text,
                source=source,
                condition=f"{where}, lr {lr:g} ({why}; "
                f"trained per lr {per_lr}), all nets: dead fraction on the whole training set; "
                f"{by_outcome(at_lr)}",
                expected=">= 0.4 at high lr",
                values=at_lr.dead_final_full,
                rule=ci_above(0.1, magnitude=0.4),
                caveat="an anecdote in the source, not an experiment",
            )
        )
        usable = counts[counts >= MIN_NETS].index
        top = usable.max() if len(usable) else counts.idxmax()  # else: the most trained nets
        rows.append(
            row(
                claim_id=f"R6-trained-{optimizer}-d{depth}",
                text=f"{text}, in nets that still train",
                source=source,
                condition=f"{where}, lr {top:g} (the highest where at least {MIN_NETS} nets "
                "train): dead fraction on the whole training set of the trained nets",
                expected=">= 0.4 (the source does not say the net trains)",
                values=working[working.lr == top].dead_final_full,
                rule=ci_above(0.1, magnitude=0.4),
                undecided=None if len(usable) else f"no lr has {MIN_NETS} trained nets",
            )
        )
    return rows


@claim("R7", activations=["selu"], inits=["lecun"])
def selu_self_normalises(t):
    """SELU with LeCun init keeps activations near mean 0 and variance 1 through a deep net,
    measured at init on the last hidden layer. Rule (LeCun): ``ci_within(1, 0.3)`` on the variance,
    and reproduced only when every run's mean is within 0.25 of 0 (else partly). The He-init row is
    a contrast (SELU needs LeCun's 1/fan_in): it reads reproduced when that variance is not within
    [0.7, 1.3], and never counts as a reproduction."""
    runs, layers = t.runs, t.layers
    rows = []
    for init in sorted(set(runs[runs.activation == "selu"].init)):
        selu = runs[(runs.activation == "selu") & (runs.init == init)]
        ids = selu[(selu.depth == selu.depth.max()) & (selu.lr == selu.lr.min())].run_id
        at_init = layers[(layers.epoch == 0) & layers.run_id.isin(ids)]
        deepest = at_init[at_init.layer == at_init.layer.max()]
        centred = bool(deepest.act_mean.abs().max() < 0.25)
        lecun = init == "lecun"
        rule = (
            ci_within(1.0, 0.3)
            if lecun
            else (lambda m, lo, hi: "not reproduced" if 0.7 <= lo and hi <= 1.3 else "reproduced")
        )
        rows.append(
            row(
                claim_id=f"R7-{init}",
                text="SELU keeps activations near mean 0, variance 1 through deep nets with LeCun "
                "init",
                source="Klambauer et al. 2017",
                condition=f"selu, {init}, variance of "
                f"the last of {at_init.layer.max()} layers at init; every mean within 0.25 of "
                f"0: {centred}",
                expected="1" if lecun else "away from 1 (needs LeCun init)",
                values=deepest.act_std**2,
                rule=rule,
                kind="claim" if lecun else "contrast",
                partly_unless=centred or not lecun,
            )
        )
    return rows


@claim("R8", reads=["lengths"])
def length_variance_grows(t):
    """At He init the variance of the squared activation length grows exponentially in the sum of
    reciprocal widths (Hanin & Rolnick). Rule: the slope of log(1 + Var/mean^2) against sum 1/width,
    over the cells the draws can show, is reproduced when R^2 > 0.9 and the slope is within 25% of
    our exact prediction, partly when it is only positive, else not reproduced."""
    lengths = t.lengths
    fit = lengths[
        lengths.measurable
    ]  # beyond sqrt(draws) the sample ratio cannot show the prediction
    if len(fit) < 2:
        return []
    x, y = fit.sum_inv_width.to_numpy(), np.log1p(fit.normalised_variance.to_numpy())
    slope, intercept = np.polyfit(x, y, 1)
    r2 = 1 - ((y - (slope * x + intercept)) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    predicted_slope = np.polyfit(x, np.log1p(fit.predicted.to_numpy()), 1)[0]
    close = abs(slope / predicted_slope - 1) <= 0.25
    return [
        record(
            claim_id="R8",
            text="at init the variance of the squared activation length grows exponentially in "
            "the sum of 1/width",
            source="Hanin & Rolnick 2018",
            condition=f"He init ReLU; slope of log(1 + Var/mean^2) against sum 1/width "
            f"over the {len(fit)} of {len(lengths)} cells whose predicted ratio is at most "
            f"sqrt(draws); R^2 {r2:.3f}",
            expected=f"log-linear, slope {predicted_slope:.2f} (our exact ratio for these widths; "
            "5 as width grows)",
            measured=slope,
            low=np.nan,
            high=np.nan,
            n=int(fit.draws.sum()),
            verdict="reproduced"
            if r2 > 0.9 and close
            else "partly"
            if slope > 0
            else "not reproduced",
            caveat="the exact per-layer ratio is our derivation, not the paper's constant",
        )
    ]


@claim("R9", datasets=["mnist1d", "digits"])
def published_accuracy(t):
    """MLP test accuracy near the published one (MNIST-1D: 0.68 for an MLP; digits: about 0.97). The
    best cell (experiment, activation, init, depth, optimizer, lr) is chosen on the validation
    split; its test accuracy is reported. Rule: ``ci_within`` the published value, widened by 0.01.
    """
    runs = t.runs
    rows = []
    for dataset, published, centre, tol in [
        ("mnist1d", "0.68 (MLP)", 0.68, 0.01),
        ("digits", "about 0.97", 0.97, 0.03),
    ]:
        r = runs[runs.dataset == dataset]
        if r.empty:
            continue
        cell = ["experiment", "activation", "init", "depth", "width", "optimizer", "lr"]
        best = r.groupby(cell).final_val_acc.mean().idxmax()
        values = r.merge(pd.DataFrame([best], columns=cell)).final_test_acc
        rows.append(
            row(
                claim_id=f"R9-{dataset}",
                text=f"MLP test accuracy on {dataset}",
                source="Greydanus 2020",
                condition="test accuracy of the cell best on validation: "
                f"{', '.join(map(str, best))}",
                expected=published,
                values=values,
                rule=ci_within(centre, tol),
            )
        )
    return rows


@claim("S-bias", nets="trained", activations=["relu"], inits=["he", "he_bias0.1"])
def positive_bias_keeps_units_alive(t):
    """A positive bias init keeps ReLU units alive: dead fraction (whole training set, end of
    training) with bias 0.1 minus zero bias, paired by seed, per depth and lr. Rule: ``below_zero``;
    inconclusive when neither arm has dead units (both means under 0.1%)."""
    runs = t.runs
    r = runs[runs.activation == "relu"]
    rows = []
    if not {"he", "he_bias0.1"} <= set(r.init):
        return []
    for (depth, lr), cell in r.groupby(["depth", "lr"]):
        diff = paired(cell, "init", "he_bias0.1", "he", "dead_final_full")
        arms = cell[cell.init.isin(["he", "he_bias0.1"])].groupby("init").dead_final_full.mean()
        rows.append(
            row(
                claim_id=f"S-bias-d{depth}-lr{lr:g}",
                text="a positive bias init reduces dead units",
                source="seed text 3",
                condition=f"relu, depth {depth}, lr {lr:g}: dead fraction, bias 0.1 minus zero "
                f"bias, paired by seed (means {arms.get('he_bias0.1', np.nan):.3f} and "
                f"{arms.get('he', np.nan):.3f})",
                expected="< 0",
                values=diff,
                rule=below_zero,
                undecided="neither arm has dead units" if arms.max() < 1e-3 else None,
            )
        )
    return rows


@claim("S-prelu", nets="trained", activations=["prelu"])
def prelu_slopes_pattern(t):
    """PReLU learns large slopes in the first layer and small ones deep (He et al.'s Table 1: 0.68
    in conv1, 0.01-0.23 deeper). Per depth, at the lr best on validation: first-layer mean slope
    minus the mean of the later layers. Rule: ``above_zero``; inconclusive when the slopes did not
    move (no layer's mean slope 0.05 away from its init 0.25 on average): the budget was too short
    to learn them."""
    runs, layers = t.runs, t.layers
    rows = []
    for depth, cell in on_validation(runs[runs.activation == "prelu"]).groupby("depth"):
        last = final_layers(layers[layers.run_id.isin(cell.run_id)])
        per_run = last.pivot_table(index="run_id", columns="layer", values="prelu_slope")
        if per_run.empty:
            continue
        moved = (per_run.mean() - 0.25).abs().max()
        rows.append(
            row(
                claim_id=f"S-prelu-d{depth}",
                text="PReLU learns large slopes early and small ones deep",
                source="He et al. 2015 Table 1; seed texts",
                condition=f"prelu, depth {depth}, lr {cell.lr.iloc[0]:g}: first-layer "
                "slope minus the mean of later layers, end of training (largest move from 0.25: "
                f"{moved:.3f})",
                expected="> 0 (0.68 vs 0.01-0.23)",
                values=per_run.iloc[:, 0] - per_run.iloc[:, 1:].mean(1),
                rule=above_zero,
                undecided="the slopes did not move 0.05 from 0.25" if moved < 0.05 else None,
                caveat="an MLP on MNIST-1D, not the paper's 14-layer conv net",
            )
        )
    return rows


def _against_relu(runs, act, metric):
    """``act`` minus ReLU, paired by seed, per depth; each arm at its lr best on validation."""
    best = on_validation(runs[runs.activation.isin([act, "relu"])])
    return {
        depth: (
            paired(
                cell, "activation", act, "relu", metric, keys=("dataset", "depth", "width", "seed")
            ),
            cell[cell.activation == "relu"][metric].mean(),
            ", ".join(f"{a} {lr:g}" for a, lr in cell.groupby("activation").lr.first().items()),
        )
        for depth, cell in best.groupby("depth")
    }


@claim("S-dead", activations=["relu"])
def relu_units_die(t):
    """Many units of an all-ReLU net end up dead (no gradient on the whole training set). Per
    experiment, optimizer and depth (He or standard init), at the lr best on validation, over all
    its nets (untrained and diverged ones too; the condition gives each outcome's share). Rule:
    ``ci_above(0.1)``."""
    runs = t.runs
    relu = runs[(runs.activation == "relu") & runs.init.isin(["he", "standard"])]
    best = on_validation(relu, by=("experiment", "optimizer", "init", "depth", "width"))
    return [
        row(
            claim_id=f"S-dead-{exp}-{opt}-d{depth}",
            text="many units of an all-ReLU network end up dead",
            source="seed texts 2-3",
            condition=f"relu, {exp}, {opt}, depth {depth}, lr {cell.lr.iloc[0]:g} (best on "
            f"validation): dead fraction after training (no gradient on the whole training set); "
            f"{by_outcome(cell)}",
            expected="many (> 0.1)",
            values=cell.dead_final_full,
            rule=ci_above(0.1),
        )
        for (exp, opt, depth), cell in best.groupby(["experiment", "optimizer", "depth"])
    ]


@claim("S-leaks-pass-gradient", nets="trained", activations=["relu", "prelu", "elu"])
def leaks_keep_gradients_flowing(t):
    """A learned slope (PReLU) or a smooth negative side (ELU) keeps gradient flowing: fewer dead
    units than ReLU. Per depth, each at its lr best on validation, dead fraction minus ReLU's,
    paired by seed. Rule: ``below_zero``; inconclusive when ReLU has under 1% dead units (nothing to
    prevent). A fixed Leaky ReLU slope passes gradient by construction, so it is no test; its seed
    claim is S-leak-revives."""
    rows = []
    for act in sorted({"prelu", "elu"} & set(t.runs.activation)):
        for depth, (diff, relu_dead, lrs) in _against_relu(t.runs, act, "dead_final_full").items():
            rows.append(
                row(
                    claim_id=f"S-leaks-pass-gradient-{act}-d{depth}",
                    text=f"{act} keeps gradients flowing (fewer dead units)",
                    source="seed texts 1-3",
                    condition=f"{act} minus relu, depth {depth}, lr {lrs}: dead fraction after "
                    f"training (whole training set), paired by seed; relu's {relu_dead:.3f}",
                    expected="< 0",
                    values=diff,
                    rule=below_zero,
                    undecided="ReLU has under 1% dead units" if not relu_dead >= 0.01 else None,
                    kind="sanity",
                    caveat="nearly holds by definition: an ELU or PReLU unit is dead "
                    "only at z < -6.9 on every input or a slope under 1e-3",
                )
            )
    return rows


@claim("S-leak-revives", reads=["revival"], activations=["relu"])
def leaks_revive_dead_units(t):
    """A dead ReLU unit "never activates again"; with a leak it "can eventually jump back into the
    game". Revival experiment (config ``revival:``): trained ReLU nets get a share of their units
    killed (pre-activation below 0 on every training input), then train on from the same weights
    with each activation; revived = the share of killed units, still inactive at the restart, that
    fire on some training input at the end. Rules: ReLU's share ``ci_below(0.05)`` (it stays dead);
    each leaky activation minus ReLU, paired by seed, ``above_zero``."""
    revival = t.revival
    if revival is None or "relu" not in set(revival.activation):
        return []
    relu = revival[revival.activation == "relu"]
    setup = "killed units of trained ReLU nets on digits (config revival:), whole training set"
    rows = [
        row(
            claim_id="S-leak-revives-relu",
            text="a dead ReLU unit never activates again",
            source="seed text 2",
            condition=f"relu: share of the {relu.killed.mean():.0f} killed units per net that fire "
            f"again; first layer alone {relu.revived_first_layer.mean():.1%} (its inputs cannot "
            "change); " + setup,
            expected="about 0 (< 0.05)",
            values=relu.revived,
            rule=ci_below(0.05),
            caveat="a deeper unit can fire again when the layers below it change",
        )
    ]
    for act, arm in revival[revival.activation != "relu"].groupby("activation", sort=False):
        rows.append(
            row(
                claim_id=f"S-leak-revives-{act}",
                text=f"with {act}, a dead unit comes back more often than with ReLU",
                source="seed text 1",
                condition=f"{act} minus relu, paired by seed: share of killed "
                f"units that fire again ({act} {arm.revived.mean():.1%} of "
                f"{arm.killed.mean():.0f} still inactive at the restart, relu "
                f"{relu.revived.mean():.1%}); " + setup,
                expected="> 0",
                values=by_seed(arm, relu, "revived"),
                rule=above_zero,
            )
        )
    return rows


@claim("S-dead-cost", reads=["dead_cost"], activations=["relu"])
def dead_units_cost_capacity(t):
    """A dead unit makes the network "much less smart" (seed text 1): it is lost capacity. From
    config ``dead_cost:``: (1) ablating the units dead on the training set of nets that trained with
    many dead changes test error by less than one point (a contrast: a dead unit does nothing, on
    unseen inputs too); (2) nets that failed at a high lr, trained on at a low one, reach a lower
    training error when their dead units are re-initialised than as they are, paired by seed (nets
    that diverged in the first phase cannot train on and are counted apart). Rules: (1)
    ``ci_within(0, 0.01)``; (2) ``below_zero``. S-dead-cost-width, a contrast: the nets of (1)
    against nets as wide as their live units, trained alike, test error ``ci_within(0, 0.02)``."""
    cost = t.dead_cost
    if cost is None:
        return []
    ablate, recover = cost[cost.setup == "ablate"], cost[cost.setup == "recover"]
    failed = recover[recover.outcome == "untrained"]
    rows = (
        [
            row(
                claim_id="S-dead-cost-ablate",
                text="a unit dead on the training set does nothing on test inputs either",
                source="seed texts 1-2",
                condition=f"relu nets that trained with {ablate.dead.mean():.1%} of "
                f"their units dead (config dead_cost.ablate): test error with those units ablated "
                f"minus without (training error moved by at most "
                f"{(ablate.ablated_train_error - ablate.train_error).abs().max():.3g})",
                expected="about 0",
                values=ablate.ablated_test_error - ablate.test_error,
                rule=ci_within(0.0, 0.01),
                kind="contrast",
            )
        ]
        if len(ablate)
        else []
    )
    if len(ablate) and "narrow_test_error" in ablate:
        width = int(ablate.narrow_width.iloc[0])
        rows.append(
            row(
                claim_id="S-dead-cost-width",
                text="a net with a share d of dead units is a net of width (1 - d) N",
                source="seed texts 1-3",
                condition=f"the same nets ({ablate.dead.mean():.1%} dead) against nets of width "
                f"{width}, trained alike from the same seeds ({ablate.narrow_dead.mean():.1%} of "
                "their units dead): test error, wide minus narrow, paired by seed",
                expected="about 0 (within 0.02)",
                values=ablate.test_error - ablate.narrow_test_error,
                rule=ci_within(0.0, 0.02),
                kind="contrast",
            )
        )
    if len(recover):
        counts = recover.outcome.value_counts()
        rows.append(
            row(
                claim_id="S-dead-cost-recover",
                text="a dead unit makes the network much less smart: "
                "re-initialising the dead units of a failed net lets it train",
                source="seed text 1; Sokar et al. 2023 (ReDo)",
                condition=f"relu nets untrained after the "
                f"high lr ({counts.get('untrained', 0)} of {len(recover)}; "
                f"{counts.get('diverged', 0)} diverged, {counts.get('trained', 0)} trained), "
                f"{failed.dead.mean():.1%} dead: final training error after training on, "
                f"re-initialised minus as is (as is {failed.as_is_train_error.mean():.3f}, "
                f"re-initialised {failed.reinit_train_error.mean():.3f}; "
                f"{int(failed.reinit_diverged.sum())} re-initialised nets diverged)",
                expected="< 0",
                values=failed.reinit_train_error - failed.as_is_train_error,
                rule=below_zero,
            )
        )
    return rows


@claim("S-sparsity", nets="trained", activations=["relu"])
def relu_is_sparse(t):
    """Sanity check: ReLU's exact zeros give sparse activations, but about half of them come by
    construction (a symmetric pre-activation is negative half the time). Measured: the share of
    exact zeros after training minus at init, per run. Rule: ``above_zero`` (training adds zeros
    beyond the ~50% any ReLU gives)."""
    relu = t.runs[t.runs.activation == "relu"]
    if relu.empty:
        return []
    return [
        row(
            claim_id="S-sparsity",
            text="ReLU's zeros give sparse activations, beyond the ~50% any ReLU gives",
            source="seed text 2",
            condition="relu: share of exact-zero activations after training minus at init "
            f"({relu.sparsity_init.mean():.2f} "
            "at init), all its cells",
            expected="> 0",
            values=relu.sparsity_final - relu.sparsity_init,
            rule=above_zero,
            kind="sanity",
            caveat="pools cells; half the zeros hold by construction",
        )
    ]


@claim("S-cost", reads=["cost"], activations=["relu"])
def relu_is_cheap(t):
    """ReLU is computationally cheap: forward plus backward time of each activation over ReLU's on
    the same tensors, a ratio of median times over separate processes. A wall-clock benchmark on a
    shared machine, shown apart and never counted. Rule: reproduced when the interval of the
    per-process ratios lies above 1, not reproduced when it lies below 1, otherwise inconclusive."""
    cost = t.cost
    return [
        record(
            claim_id=f"S-cost-{r.activation}",
            text="ReLU is computationally very cheap",
            source="seed texts 2-3",
            condition=f"forward+backward time of {r.activation} relative to ReLU, same tensors, "
            f"ratio of medians over {r.processes} processes of {r.rounds} interleaved rounds each",
            expected="> 1",
            measured=r.relative_to_relu,
            low=r.ci_low,
            high=r.ci_high,
            n=r.processes,
            verdict="reproduced"
            if r.ci_low > 1
            else "not reproduced"
            if r.ci_high < 1
            else "inconclusive",
            kind="benchmark",
            caveat="wall-clock on this machine's CPU",
        )
        for r in cost[(cost.activation != "relu") & cost.seconds.notna()].itertuples()
    ]


@claim("S-poor-init", inits=["he", "he_x3"])
def poor_init_explodes(t):
    """Unbounded ReLU gives exploding or unstable gradients, worse with poor init: per activation
    and lr, the share of runs that diverge or explode, He x3 minus He, paired by seed. Rule:
    ``above_zero`` for unbounded activations; for a bounded one (tanh, sigmoid), the contrast, the
    He x3 arm's rate ``ci_below(0.5)``."""
    runs = t.runs
    rows = []
    for (act, lr), r in runs.groupby(["activation", "lr"]):
        if not {"he", "he_x3"} <= set(r.init):
            continue
        bad = r.assign(unstable=r.diverged.astype(bool) | (r.exploding_steps > 0))
        x3 = bad[bad.init == "he_x3"]
        bounded = act in ("tanh", "sigmoid")
        what = (
            f"{act}, lr {lr:g}: share of runs that diverge ({int(x3.diverged.sum())} of "
            f"{len(x3)} with He x3) or explode ({int((x3.exploding_steps > 0).sum())})"
        )
        rows.append(
            row(
                claim_id=f"S-poor-init-{act}-lr{lr:g}",
                text="unbounded ReLU gives exploding or unstable gradients, worse with poor init",
                source="seed text 2",
                condition=f"{what}, He x3"
                if bounded
                else f"{what}, He x3 minus He, paired by seed",
                expected="< 0.5 (bounded)" if bounded else "> 0",
                values=x3.unstable if bounded else paired(bad, "init", "he_x3", "he", "unstable"),
                rule=ci_below(0.5) if bounded else above_zero,
                kind="contrast" if bounded else "claim",
            )
        )
    return rows


FIX_SOURCES = "He et al. 2016 (residual); Ioffe & Szegedy 2015 (BatchNorm); Ba et al. 2016"


@claim("F3", activations=["relu"])
def fixes_at_depth(t):
    """In the deepest nets, each fix (a norm before the activation, a residual branch scale, or
    both) against the plain net of the same init, each arm at its lr with the best validation
    accuracy, paired by seed, over all nets whatever their outcome: F3-train-<arm> (final
    training error, fix minus plain) and F3-dead-<arm> (dead fraction on the whole training set,
    fix minus plain). Rule for both: ``below_zero`` (the fix trains better and keeps more units
    alive, as the literature has it for residual and normalized deep nets)."""
    runs = t.runs[(t.runs.activation == "relu") & (t.runs.depth == t.runs.depth.max())]
    runs = runs.assign(arm=runs.norm + "/" + runs.residual, train_error=1 - runs.final_train_acc)
    best = on_validation(runs, by=("init", "arm"))
    rows, depth = [], runs.depth.max()
    for (init, arm), fix in best[best.arm != "none/plain"].groupby(["init", "arm"]):
        plain = best[(best.init == init) & (best.arm == "none/plain")]
        if plain.empty:
            continue
        for name, column, what in (
            ("train", "train_error", "final training error"),
            ("dead", "dead_final_full", "dead fraction on the whole training set"),
        ):
            rows.append(
                row(
                    claim_id=f"F3-{name}-{arm.replace('/', '-')}",
                    text="a residual branch or a norm lets deep ReLU nets train and keeps their "
                    "units alive",
                    source=FIX_SOURCES,
                    condition=f"relu, {init}, depth {depth}: {what}, {arm} (lr "
                    f"{fix.lr.iloc[0]:g}) minus plain (lr {plain.lr.iloc[0]:g}), each at its lr "
                    f"best on validation, paired by seed; means {fix[column].mean():.3f} and "
                    f"{plain[column].mean():.3f}",
                    expected="< 0",
                    values=by_seed(fix, plain, column),
                    rule=below_zero,
                    caveat="an MLP on 8x8 digits, not the sources' conv nets on ImageNet",
                )
            )
    return rows


FIX_MEASURES = {  # fix minus plain, paired by seed: (column, what it is, rule, kind of row)
    "dead": ("dead_final_full", "dead fraction on the whole training set", below_zero, "claim"),
    # ReDo recycles exactly the units this score counts, on this probe set: not a reproduction
    "dormant": (
        "dormant_final",
        "dormant fraction (ReDo's score, probe set)",
        below_zero,
        "sanity",
    ),
    "accuracy": ("final_test_acc", "test accuracy", above_zero, "claim"),
}
AXES = ("dataset", "activation", "init", "layer_widths", "norm", "residual", "intervention")


def variants_with(runs, **fix) -> list:
    """The variants of a grid whose every run is the plain net (variant ``none``) but for ``fix``
    (column: a value, or a function of the column that is True where a value is the fix): a
    variant that changes two things at once is not read. The plain net has no weight decay."""
    plain = runs[runs.variant == "none"]
    wanted = {c: set(plain[c]) for c in AXES if c in runs} | {"weight_decay": {0.0}}
    wanted |= {c: want if callable(want) else {want} for c, want in fix.items()}
    return [
        variant
        for variant, nets in runs[runs.variant != "none"].groupby("variant")
        if all(
            (want(nets[c]) if callable(want) else nets[c].isin(want)).all()
            for c, want in wanted.items()
        )
    ]


def fix_rows(t, claim_id, fix, text, source, measures):
    """Rows of a fix (``variants_with(**fix)``) against the plain net where plain nets fail: per
    depth and optimizer, at the plain grid's lowest lr where fewer than half its nets train
    (``too_high``), over all nets (each outcome; a diverged net at its last finite step).
    ``measures``: ``trains``, the share of the fix's nets that train, ``ci_above(0.5)`` (most of
    them train where most plain nets do not; with 8 seeds only 8 of 8 passes), and any of
    FIX_MEASURES, paired by seed. Inconclusive where plain nets train at every lr of the grid."""
    variants, rows = variants_with(t.runs, **fix), []
    for variant in variants:
        rows += _fix_rows(t, claim_id, variant, text, source, measures, len(variants) > 1)
    return rows


def _fix_rows(t, claim_id, variant, text, source, measures, named):
    rows = []
    for depth, opt, fix, plain in against_plain(t.runs, variant):
        lr, why = too_high(plain)
        fix, plain = fix[fix.lr == lr], plain[plain.lr == lr]
        own = "" if set(fix.optimizer) == {opt} else f" ({fix.optimizer.iloc[0]} for {variant})"
        where = (
            f"{plain.activation.iloc[0]}, depth {depth}, {opt}{own} lr {lr:g} (plain nets: {why}), "
            f"paired by seed; {variant}: {by_outcome(fix)}; plain: {by_outcome(plain)}"
        )
        for measure in measures:
            kind = "claim"
            if measure == "trains":
                values, what = fix.outcome == "trained", "share of nets that train"
                rule, expected = ci_above(0.5), "> 0.5"
            else:
                column, what, rule, kind = FIX_MEASURES[measure]
                values = by_seed(fix, plain, column)
                what, expected = (
                    f"{what}, {variant} minus plain",
                    "< 0" if rule is below_zero else "> 0",
                )
            rows.append(
                row(
                    claim_id=f"{claim_id}-{measure}-{opt}-d{depth}" + (f"-{variant}" * named),
                    text=text,
                    source=source,
                    condition=f"{where}: {what}",
                    expected=expected,
                    values=values,
                    rule=rule,
                    kind=kind,
                    undecided=None if why == FAILS else f"plain nets: {why}",
                    caveat=f"an MLP on {plain.dataset.iloc[0]}, one fixed supervised task",
                )
            )
    return rows


@claim("F1")
def batchnorm_rescues(t):
    """BatchNorm lets ReLU nets train at learning rates where plain nets fail, with fewer dead
    units (Ioffe & Szegedy 2015): ``fix_rows`` of the variant that only adds BatchNorm, trains
    and dead."""
    text = "BatchNorm lets ReLU nets train at learning rates where plain nets fail, with fewer dead"
    measures = ("trains", "dead")
    return fix_rows(
        t, "F1", dict(norm="batchnorm"), f"{text} units", "Ioffe & Szegedy 2015", measures
    )


@claim("F2")
def layernorm_rescues(t):
    """LayerNorm does the same, or not (Ba et al. 2016; Lyle et al. 2024 on plasticity):
    ``fix_rows`` of the variant that only adds LayerNorm, trains and dead."""
    text = "LayerNorm lets ReLU nets train at learning rates where plain nets fail, with fewer dead"
    source, measures = "Ba et al. 2016; Lyle et al. 2024", ("trains", "dead")
    return fix_rows(t, "F2", dict(norm="layernorm"), f"{text} units", source, measures)


@claim("F4")
def redo_recycles(t):
    """ReDo lowers the dormant and dead fractions and recovers accuracy lost at high learning
    rates (Sokar et al. 2023, shown in RL; on a fixed supervised task dormant counts are reported
    to stay low): ``fix_rows`` of the variant that only adds the intervention named ``redo``,
    dormant, dead and accuracy."""
    text = "ReDo lowers the dormant and dead fractions and recovers accuracy lost at high lrs"
    measures = ("dormant", "dead", "accuracy")
    return fix_rows(t, "F4", dict(intervention="redo"), text, "Sokar et al. 2023", measures)


@claim("F5")
def decay_and_adam(t):
    """Weight decay and Adam change the dead fraction (Dohare et al. 2024, in continual learning:
    L2 keeps units alive, Adam loses plasticity faster than SGD). ``F5-dead-*``: ``fix_rows`` of
    the variant that only adds weight decay (``below_zero``). ``F5-adam-d<depth>``: the plain
    nets' dead fraction, optimizer ``adam`` minus ``sgd``, each at its lr best on validation,
    paired by seed, ``above_zero``."""
    decays = dict(weight_decay=lambda wd: wd > 0)
    text = "weight decay keeps ReLU units alive"
    rows = fix_rows(t, "F5", decays, text, "Dohare et al. 2024", ("dead",))
    plain = t.runs[t.runs.variant == "none"]
    for depth, nets in plain.groupby("depth"):
        if not {"sgd", "adam"} <= set(nets.optimizer):
            continue
        best = on_validation(nets, by=("optimizer",))
        adam, sgd = best[best.optimizer == "adam"], best[best.optimizer == "sgd"]
        rows.append(
            row(
                claim_id=f"F5-adam-d{depth}",
                text="Adam leaves more ReLU units dead than SGD",
                source="Dohare et al. 2024",
                condition=f"relu, depth {depth}, plain nets: dead fraction on the whole training "
                f"set, Adam (lr {adam.lr.iloc[0]:g}: {by_outcome(adam)}) minus SGD (lr "
                f"{sgd.lr.iloc[0]:g}: {by_outcome(sgd)}), each at its lr best on validation, "
                "paired by seed",
                expected="> 0",
                values=by_seed(adam, sgd, "dead_final_full"),
                rule=above_zero,
                caveat="one fixed supervised task, not a sequence of tasks; the best lrs of a "
                "grid chosen around where plain nets fail",
            )
        )
    return rows


@claim("UvA", activations=["relu"], inits=["torch_default", "he"])
def default_init_kills_deep_units(t):
    """PyTorch's default Linear init leaves deep ReLU units dead before training (UvA tutorial 3):
    per layer, the share of units whose activation is 0 on every training image (whole training set,
    untrained net), read at the layer the tutorial's number belongs to (its one seed: 7.81% in layer
    4 of 512-256-256-128, 56.25% in layer 9 of 5 x 256 + 5 x 128). Rules: that layer's share minus
    the first layer's, ``above_zero``, reproduced only when the tutorial's number lies within the
    middle 90% of our seeds' values (it is one draw, not a mean), else partly. He against
    torch_default: ``below_zero``."""
    runs, layers = t.runs, t.layers
    relu = runs[runs.activation == "relu"]
    at_init = layers[(layers.epoch == 0) & layers.run_id.isin(relu.run_id)]
    rows, caveat = [], "MNIST (5000 images, standardised), not FashionMNIST scaled to [-1, 1]"
    for depth, layer, published in ((4, 4, 0.0781), (10, 9, 0.5625)):
        cell = relu[(relu.init == "torch_default") & (relu.depth == depth)]
        per_run = at_init[at_init.run_id.isin(cell.run_id)].pivot_table(
            index="run_id", columns="layer", values="inactive_full"
        )
        if per_run.empty or layer not in per_run:
            continue
        at_layer = per_run[layer]
        low, high = at_layer.quantile(0.05), at_layer.quantile(0.95)
        profile = ", ".join(f"{v:.1%}" for v in per_run.mean())
        rows.append(
            row(
                claim_id=f"UvA-d{depth}",
                text="PyTorch's default Linear init leaves deep ReLU units dead before training",
                source="UvA DL tutorial 3",
                condition=f"relu, torch_default init, hidden widths {cell.layer_widths.iloc[0]}, "
                f"{cell.dataset.iloc[0]}, untrained: share of layer {layer}'s units zero on "
                f"every training image ({at_layer.mean():.1%}; its seeds' 5-95% range "
                f"{low:.1%}-{high:.1%}) minus layer 1's (mean per layer: {profile})",
                expected=f"> 0; {published:.2%} in layer {layer} (one seed)",
                values=at_layer - per_run[1],
                rule=above_zero,
                caveat=caveat,
                partly_unless=low <= published <= high,
            )
        )
    diff = paired(relu[relu.depth == 10], "init", "he", "torch_default", "inactive_init_full")
    if len(diff):
        rows.append(
            row(
                claim_id="UvA-he",
                text="He init keeps those units alive",
                source="UvA DL tutorial 3; He et al. 2015",
                condition="relu, depth 10, untrained: share of all hidden units zero on every "
                "training image, He minus torch_default, paired by seed",
                expected="< 0",
                values=diff,
                rule=below_zero,
                caveat=caveat,
            )
        )
    return rows


COLUMNS = [
    "group",
    "claim_id",
    "claim",
    "source",
    "kind",
    "condition",
    "expected",
    "measured",
    "ci_low",
    "ci_high",
    "bound",
    "n",
    "p",
    "p_adj",
    "verdict",
    "caveat",
]


def adjust_verdicts(rows: list) -> pd.DataFrame:
    """claims.csv from the rows of every claim: the counted rows' p-values adjusted together
    (Benjamini-Hochberg), and each counted verdict decided again on its adjusted p."""
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=COLUMNS)
    counted = (table.kind == "claim") & table.decide.notna() & table.p.notna()
    table.loc[counted, "p_adj"] = adjust(table.p[counted])
    table.loc[counted, "verdict"] = [
        d(p) for d, p in zip(table.decide[counted], table.p_adj[counted])
    ]
    return table[COLUMNS]


def evaluate(tables: StudyTables, config: dict):
    """Every claim under ``claims:`` in the config, on the runs of the experiments it names:
    (claims.csv, and per configured claim how many rows it produced and, if none, why:
    claims_status.csv)."""
    rows, status = [], []
    for name, options in config.get("claims", {}).items():
        experiments = (options or {}).get("experiments")
        runs = tables.runs
        if experiments is not None:
            runs = runs[runs.experiment.isin(experiments)]
            if runs.empty:
                reason = f"no runs in experiments {', '.join(experiments)}"
                status.append(dict(claim=name, rows=0, reason=reason))
                continue
        fn, seen = CLAIMS.get(name), tables.of(runs)
        if fn.nets == "trained":
            seen, left_out = seen.trained(), runs.outcome.value_counts()
            note = (
                f"trained nets only: {len(seen.runs)} of {left_out.sum()} in its experiments "
                f"({left_out.get('untrained', 0)} untrained, "
                f"{left_out.get('diverged', 0)} diverged left out)"
            )
        produced = [dict(r, group=name) for r in fn(seen)]
        if fn.nets == "trained":
            produced = [dict(r, condition=f"{r['condition']}; {note}") for r in produced]
        status.append(
            dict(claim=name, rows=len(produced), reason="" if produced else "its arms have no runs")
        )
        rows += produced
    return adjust_verdicts(rows), pd.DataFrame(status, columns=["claim", "rows", "reason"])
