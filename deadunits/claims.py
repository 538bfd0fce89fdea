"""The source texts' claims and the published results (GUIDE §1-2), each checked against the tables.

A claim is one function registered under its id; it returns rows of claims.csv: what was expected,
what was measured (mean and 95% bootstrap CI over seeds), and a verdict computed from them. Which
experiments feed a claim is named under ``claims:`` in config.yaml (none named: all runs); which config
entries it reads is declared where it is registered (``needs``). A claim whose experiments or arms
have no runs produces no row, and claims_status.csv says so.
"""
import numpy as np
import pandas as pd

from deadunits.registry import Registry
from deadunits.stats import at_best_lr, bootstrap_ci

CLAIMS = Registry("claim")


def claim(name, nets="all", **needs):
    """Register a claim under ``name``. ``needs`` names the config entries it reads, by registry
    (``activations=["relu"]``): the dry run fails when one is not defined or not trained by the claim's
    experiments (deadunits/study.py), instead of the claim silently producing no rows. ``nets="trained"``
    marks a claim about working nets: it sees only runs whose outcome is ``trained``, and its rows say
    how many were left out; a claim about failure or about init sees all runs."""
    def add(fn):
        fn.needs, fn.nets = needs, nets
        return CLAIMS.register(name)(fn)

    return add

VERDICTS = ("reproduced", "partly", "not reproduced")


def row(claim_id, text, source, condition, expected, values, verdict):
    """One claims.csv row from the per-seed ``values`` (their mean and 95% bootstrap CI). ``verdict``
    is one of VERDICTS, or a function of (mean, low, high) of these values that returns one (called at
    once, so it may read the caller's loop variables)."""
    mean, low, high, n = bootstrap_ci(values)
    if callable(verdict):
        verdict = verdict(mean, low, high)
    assert verdict in VERDICTS, verdict
    return dict(claim_id=claim_id, claim=text, source=source, condition=condition, expected=expected,
                measured=mean, ci_low=low, ci_high=high, n=n, verdict=verdict)


def direction(low, high, sign=-1):
    """Verdict for a claimed sign of an effect: the CI excludes 0 in that direction, or only the mean does."""
    if sign < 0:
        return "reproduced" if high < 0 else "partly" if low < 0 else "not reproduced"
    return "reproduced" if low > 0 else "partly" if high > 0 else "not reproduced"


def below_zero(mean, low, high):
    """Verdict (for ``row``) on an effect claimed to be negative."""
    return direction(low, high, -1)


def above_zero(mean, low, high):
    """Verdict (for ``row``) on an effect claimed to be positive."""
    return direction(low, high, +1)


def paired(runs, column, value_a, value_b, metric, keys=("dataset", "depth", "width", "lr", "seed")):
    """metric(a) - metric(b) for runs that differ only in ``column``, matched on ``keys`` (same seed)."""
    a = runs[runs[column] == value_a].set_index(list(keys))[metric].astype(float)
    b = runs[runs[column] == value_b].set_index(list(keys))[metric].astype(float)
    return (a - b).dropna()


def _within(low, high, target):
    return low <= target <= high


@claim("R1")
def born_dead_at_init(t):
    bd = t["born_dead"]
    rows = []
    for width, depth, published in [(2, 10, 0.944), (3, 10, 0.737), (5, 10, 0.272), (4, 20, 0.725)]:
        cell = bd[(bd.width == width) & (bd.depth == depth)]
        if cell.empty:
            continue
        c = cell.iloc[0]
        se = np.sqrt(c.p_theory * (1 - c.p_theory) / c.n)
        verdict = "reproduced" if abs(c.p_empirical - c.p_theory) <= 3 * se else "not reproduced"
        rows.append(dict(claim_id=f"R1-w{width}-d{depth}", claim="a ReLU net is born dead at a fixed input with "
                         "probability 1-(1-2^-N)^L", source="Lu et al. 2020 (GUIDE R1)",
                         condition=f"width {width}, depth {depth}, He init, zero bias, {c.n} draws",
                         expected=f"{published}", measured=c.p_empirical, ci_low=c.ci_low, ci_high=c.ci_high,
                         n=c.n, verdict=verdict))
    return rows


@claim("R2", activations=["relu"], inits=["he", "rai", "he_bias0.1"])
def collapse_to_constant(t):
    runs = t["runs"]
    rows = []
    relu = runs[runs.activation == "relu"]
    he = relu[(relu.init == "he") & (relu.width == 2)].collapsed.astype(float)
    if len(he):
        rows.append(row("R2-he", "10-layer width-2 ReLU nets fitting |x| collapse to a constant", "Lu et al. 2020",
                        "relu, He init, width 2, depth 10", "> 0.9", he,
                        lambda m, lo, hi: "reproduced" if hi >= 0.9 else "partly" if m >= 0.5 else "not reproduced"))
    for init, expected, published in [("rai", "about 0.29 (secondary), below He", 0.29), ("he_bias0.1", "below He", None)]:
        other = relu[(relu.init == init) & (relu.width == 2)].collapsed.astype(float)
        if len(other) and len(he):
            diff = paired(relu[relu.width == 2], "init", init, "he", "collapsed")
            _, lo, hi, _ = bootstrap_ci(diff)
            fewer = direction(lo, hi, -1)  # and, where a rate was published, near it
            rows.append(row(f"R2-{init}", f"{init} cuts the collapse rate", "Lu et al. 2020",
                            f"relu, {init}, width 2, depth 10", expected, other,
                            lambda m, lo, hi: fewer if published is None
                            or fewer != "reproduced" else "reproduced" if _within(lo - 0.05, hi + 0.05, published)
                            else "partly"))
    for act in sorted(set(runs.activation) - {"relu"}):
        other = runs[(runs.activation == act) & (runs.init == "he") & (runs.width == 2)]
        if len(other) and len(he):
            diff = paired(runs[(runs.init == "he") & (runs.width == 2)], "activation", act, "relu", "collapsed")
            _, lo, hi, _ = bootstrap_ci(diff)
            rows.append(row(f"R2-{act}", f"{act} collapses less than ReLU", "seed texts (GUIDE §1.4)",
                            f"{act}, He init, width 2, depth 10", "below ReLU", other.collapsed.astype(float),
                            direction(lo, hi, -1)))
    for width, expected, test in [(3, "about 0.6 (secondary)", lambda lo, hi: _within(lo - 0.1, hi + 0.1, 0.6)),
                                  (5, "> 0.1 (secondary)", lambda lo, hi: hi > 0.1),
                                  (10, "< 0.01 (secondary)", lambda lo, hi: lo < 0.01)]:
        rates = relu[(relu.init == "he") & (relu.width == width)].collapsed.astype(float)
        if len(rates):
            rows.append(row(f"R2-width{width}", "collapse falls as width grows", "Lu et al. 2020",
                            f"relu, He init, width {width}, depth 10", expected, rates,
                            lambda m, lo, hi: "reproduced" if test(lo, hi) else "not reproduced"))
    return rows


@claim("R3", activations=["relu"], inits=["xavier", "he"])
def xavier_stalls_he_trains(t):
    runs = t["runs"]
    deep = runs[(runs.activation == "relu") & (runs.depth == runs.depth.max())]
    rows = []
    best = at_best_lr(deep[deep.init.isin(["xavier", "he"])], ["init"], "final_train_acc")
    errors = {init: 1 - g.final_train_acc for init, g in best.groupby("init")}
    if len(errors) == 2:
        _, lo_x, _, _ = bootstrap_ci(errors["xavier"])
        _, _, hi_h, _ = bootstrap_ci(errors["he"])
        depth = deep.depth.max()
        rows.append(row("R3-xavier", f"a deep plain ReLU net stalls with Xavier init", "He et al. 2015",
                        f"relu, depth {depth}, Xavier, best lr", "training error stays high (stalls)", errors["xavier"],
                        "reproduced" if lo_x > 0.5 else "partly" if lo_x > hi_h else "not reproduced"))
        rows.append(row("R3-he", f"the same net trains with He init", "He et al. 2015",
                        f"relu, depth {depth}, He, best lr", "training error falls", errors["he"],
                        "reproduced" if hi_h < 0.5 else "not reproduced"))
    at_init = t["layers"][(t["layers"].epoch == 0) & t["layers"].run_id.isin(deep.run_id)]
    for init, per_layer in (("xavier", np.log10(0.5) / 2), ("he", 0.0)):
        g = at_init[at_init.run_id.isin(deep[deep.init == init].run_id)]
        if g.empty:
            continue
        scale = g.assign(rms=np.sqrt(g.act_std**2 + g.act_mean**2)).pivot_table(index="run_id", columns="layer", values="rms")
        slope = np.log10(scale.iloc[:, -1] / scale.iloc[:, 0]) / (scale.shape[1] - 1)
        rows.append(row(f"R3-scale-{init}", "activation scale per layer at init", "He et al. 2015",
                        f"relu, depth {deep.depth.max()}, {init}: log10 of the RMS activation ratio per layer",
                        f"{per_layer:.3f} ({'falls by 1/sqrt 2 per layer' if per_layer else 'stays'})", slope,
                        lambda m, lo, hi: "reproduced" if _within(lo - 0.02, hi + 0.02, per_layer)
                        else "not reproduced"))
    return rows


@claim("R4", activations=["relu", "tanh", "sigmoid"])
def relu_six_times_faster(t):
    runs = t["runs"]
    arms = runs[runs.activation.isin(["relu", "tanh", "sigmoid"])]
    censored = arms.assign(steps=arms.steps_to_target.fillna(np.inf))
    best = at_best_lr(censored, ["activation"], "steps", stat="median", best="min")
    steps = {act: g.set_index("seed").steps for act, g in best.groupby("activation")}
    rows = []
    for slow in ("tanh", "sigmoid"):
        if "relu" in steps and slow in steps:
            ratio = (steps[slow] / steps["relu"]).replace(np.inf, np.nan).dropna()
            never = np.isinf(steps[slow]).all() and np.isfinite(steps["relu"]).any()
            condition = "steps to target, each at its best lr, paired by seed"
            if never:
                slow_runs = arms[arms.activation == slow].steps_to_target
                condition += (f"; at its best lr every {slow} seed is censored (over all lrs {slow_runs.notna().sum()} of "
                              f"{len(slow_runs)} runs reached the target): ReLU faster by an unknown factor")
            rows.append(row(f"R4-{slow}", f"ReLU reaches the training-error target six times faster than {slow}",
                            "Krizhevsky et al. 2012; seed text 3", condition, "6", ratio,
                            lambda m, lo, hi: "partly" if never else "reproduced" if lo <= 6 <= hi
                            else "partly" if lo > 1 else "not reproduced"))
    return rows


@claim("R5", nets="trained", activations=["elu", "relu", "leaky_0.1"])
def elu_bias_shift_and_speed(t):
    runs, layers = t["runs"], t["layers"]
    last = layers[layers.epoch == layers.epoch.max()]
    shift = last.assign(abs_mean=last.act_mean.abs()).groupby("run_id").abs_mean.mean()
    r = runs.assign(abs_mean=runs.run_id.map(shift))
    rows = []
    for other in ("relu", "leaky_0.1"):
        if {"elu", other} <= set(r.activation):
            diff = paired(r, "activation", "elu", other, "abs_mean")
            rows.append(row(f"R5-bias-{other}", f"ELU has less bias shift than {other}", "Clevert et al. 2015; seed text 2",
                            "|mean activation| averaged over layers, end of training, paired by seed",
                            "ELU minus other < 0", diff, below_zero))
            diff = paired(r, "activation", "elu", other, "loss_auc")
            rows.append(row(f"R5-speed-{other}", f"ELU's training loss falls faster than {other}'s",
                            "Clevert et al. 2015; seed text 2", "area under the training-loss curve, paired by seed",
                            "ELU minus other < 0", diff, below_zero))
    return rows


@claim("R6", nets="trained", activations=["relu"])
def dead_fraction_rises_with_lr(t):
    runs = t["runs"]
    relu = runs[runs.activation == "relu"]
    if relu.empty:
        return []
    by_lr = relu.groupby("lr").dead_final_full.mean()
    top = by_lr.idxmax()
    values = relu[relu.lr == top].dead_final_full
    rising = np.corrcoef(np.log(by_lr.index), by_lr.to_numpy())[0, 1] if len(by_lr) > 1 else 0.0
    return [row("R6", "as much as 40% of a ReLU network can be dead if the learning rate is too high",
                "CS231n notes", f"relu, lr sweep {by_lr.index.min():g}..{by_lr.index.max():g}; worst lr {top:g}",
                ">= 0.4 at high lr, rising with lr", values,
                lambda m, lo, hi: "reproduced" if lo >= 0.4 and rising > 0 else "partly" if rising > 0 else "not reproduced")]


@claim("R7", activations=["selu"], inits=["lecun"])
def selu_self_normalises(t):
    runs, layers = t["runs"], t["layers"]
    rows = []
    for init in sorted(set(runs[runs.activation == "selu"].init)):
        ids = runs[(runs.activation == "selu") & (runs.init == init) & (runs.depth == runs.depth.max())].run_id
        at_init = layers[(layers.epoch == 0) & layers.run_id.isin(ids)]
        deepest = at_init[at_init.layer == at_init.layer.max()]
        centred = deepest.act_mean.abs().max() < 0.25

        def verdict(mean, lo, hi):
            normalised = centred and 0.7 <= lo and hi <= 1.3
            if init == "lecun":
                return "reproduced" if normalised else "partly" if lo <= 2 and hi >= 0.5 else "not reproduced"
            return "not reproduced" if normalised else "reproduced"  # the contrast: it needs LeCun's 1/fan_in

        rows.append(row(f"R7-{init}", "SELU keeps activations near mean 0, variance 1 through deep nets with LeCun init",
                        "Klambauer et al. 2017", f"selu, {init}, variance of the last of {at_init.layer.max()} layers at init",
                        "1" if init == "lecun" else "away from 1 (needs LeCun init)", deepest.act_std**2, verdict))
    return rows


@claim("R8")
def length_variance_grows(t):
    lengths = t["lengths"]
    fit = lengths[lengths.measurable]  # beyond sqrt(draws) the sample ratio cannot show the prediction
    if len(fit) < 2:
        return []
    x, y = fit.sum_inv_width.to_numpy(), np.log1p(fit.normalised_variance.to_numpy())
    slope, intercept = np.polyfit(x, y, 1)
    r2 = 1 - ((y - (slope * x + intercept)) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    predicted_slope = np.polyfit(x, np.log1p(fit.predicted.to_numpy()), 1)[0]
    close = abs(slope / predicted_slope - 1) <= 0.25
    return [dict(claim_id="R8", claim="at init the variance of the squared activation length grows exponentially in "
                 "the sum of 1/width", source="Hanin & Rolnick 2018",
                 condition=f"He init ReLU; slope of log(1 + Var/mean^2) against sum 1/width over the {len(fit)} of "
                 f"{len(lengths)} cells whose predicted ratio is at most sqrt(draws); R^2 {r2:.3f}",
                 expected=f"log-linear, slope {predicted_slope:.2f} (exact for these widths; 5 as width grows)",
                 measured=slope, ci_low=np.nan, ci_high=np.nan, n=int(fit.draws.sum()),
                 verdict="reproduced" if r2 > 0.9 and close else "partly" if slope > 0 else "not reproduced")]


@claim("R9", datasets=["mnist1d", "digits"])
def data_path_sanity(t):
    runs = t["runs"]
    rows = []
    for dataset, published, low, high in [("mnist1d", "0.64-0.68 (MLP)", 0.64, 0.68), ("digits", "about 0.97", 0.95, 0.99)]:
        r = runs[runs.dataset == dataset]
        if r.empty:
            continue
        best = r.groupby(["activation", "init", "depth", "lr"]).final_test_acc.mean().idxmax()
        values = r.set_index(["activation", "init", "depth", "lr"]).loc[best].final_test_acc
        rows.append(row(f"R9-{dataset}", f"MLP test accuracy on {dataset}", "Greydanus 2020 (GUIDE R9)",
                        f"best cell: {', '.join(map(str, best))}", published, values,
                        lambda m, lo, hi: "reproduced" if hi >= low - 0.01 and lo <= high + 0.01
                        else "partly" if m >= low - 0.1 else "not reproduced"))
    return rows


@claim("S-bias", nets="trained", activations=["relu"], inits=["he", "he_bias0.1"])
def positive_bias_keeps_units_alive(t):
    runs = t["runs"]
    rows = []
    for act in ("relu",):
        r = runs[runs.activation == act]
        if {"he", "he_bias0.1"} <= set(r.init):
            for depth in sorted(r.depth.unique()):
                diff = paired(r[r.depth == depth], "init", "he_bias0.1", "he", "dead_final_full")
                rows.append(row(f"S-bias-d{depth}", "a positive bias init reduces dead units", "seed text 3",
                                f"{act}, depth {depth}: dead fraction, bias 0.1 minus zero bias, paired by seed",
                                "< 0", diff, below_zero))
    return rows


@claim("S-prelu", nets="trained", activations=["prelu"])
def prelu_slopes_pattern(t):
    runs, layers = t["runs"], t["layers"]
    ids = runs[(runs.activation == "prelu") & ~runs.diverged].run_id
    last = layers[(layers.epoch == layers.epoch.max()) & layers.run_id.isin(ids)]
    if last.empty:
        return []
    per_run = last.pivot_table(index="run_id", columns="layer", values="prelu_slope")
    diff = per_run.iloc[:, 0] - per_run.iloc[:, 1:].mean(1)
    return [row("S-prelu", "PReLU learns large slopes early and small ones deep", "He et al. 2015 Table 1; seed texts",
                "first-layer slope minus mean of later layers, end of training", "> 0 (0.68 vs 0.01-0.23)", diff,
                above_zero)]


@claim("S-dead", nets="trained", activations=["relu"])
def relu_units_die(t):
    relu = t["runs"][t["runs"].activation == "relu"]
    if relu.empty:
        return []
    return [row("S-dead-relu", "many units of an all-ReLU network end up dead", "seed texts 2-3",
                "relu: dead fraction after training (no gradient on the whole training set)", "many", relu.dead_final_full,
                lambda m, lo, hi: "reproduced" if lo > 0.1 else "partly" if lo > 0 else "not reproduced")]


@claim("S-leaks-pass-gradient", nets="trained", activations=["prelu", "elu"])
def leaks_keep_gradients_flowing(t):
    """A learned slope (PReLU) or a smooth negative side (ELU) keeps gradient flowing: few dead units. (A fixed
    Leaky ReLU slope passes gradient by construction, so it is no test; its seed claim is S-leak-revives.)"""
    runs = t["runs"]
    rows = []
    for act in ("prelu", "elu"):
        r = runs[runs.activation == act]
        if r.empty:
            continue
        rows.append(row(f"S-leaks-pass-gradient-{act}", f"{act} keeps gradients flowing (no dead units)", "seed texts 1-3",
                        f"{act}: dead fraction after training (no gradient on the whole training set)",
                        "about 0 (ReLU: its dead units)", r.dead_final_full,
                        lambda m, lo, hi: "reproduced" if hi < 0.01 else "partly" if lo < 0.05 else "not reproduced"))
    return rows


@claim("S-leak-revives", nets="trained", activations=["relu", "leaky_0.01", "leaky_0.1", "prelu", "elu"])
def leaks_revive_inactive_units(t):
    """With a leak an inactive unit "can eventually jump back into the game". Measured per run as the share of
    units that were inactive at some probe and active at a later one (all hidden layers, at the last probe),
    the leaky activation minus ReLU, paired by seed. Rule: reproduced when the 95% CI of the difference is
    above 0, partly when only its mean is, else not reproduced."""
    runs, layers = t["runs"], t["layers"]
    last = layers[layers.epoch == layers.epoch.max()].groupby("run_id")[["ever_revived", "ever_inactive"]].mean()
    share = last.ever_revived / last.ever_inactive.where(last.ever_inactive > 0)
    r = runs.assign(revived_share=runs.run_id.map(share))
    rows = []
    for act in ("leaky_0.01", "leaky_0.1", "prelu", "elu"):
        diff = paired(r, "activation", act, "relu", "revived_share")
        if len(diff):
            rows.append(row(f"S-leak-revives-{act}", f"with {act}, an inactive unit comes back more often than with ReLU",
                            "seed texts 1-3", f"{act} minus relu: share of units inactive at some probe (probe set) that "
                            "are active at a later one, all hidden layers, paired by seed", "> 0", diff, above_zero))
    return rows


@claim("S-sparsity", nets="trained", activations=["relu"])
def relu_is_sparse(t):
    runs = t["runs"]
    relu = runs[runs.activation == "relu"]
    if relu.empty:
        return []
    return [row("S-sparsity", "ReLU's zeros give sparse activations", "seed text 2",
                "relu: fraction of exact-zero activations after training", "well above 0", relu.sparsity_final,
                lambda m, lo, hi: "reproduced" if lo > 0.3 else "partly" if lo > 0 else "not reproduced")]


@claim("S-cost", activations=["relu"])
def relu_is_cheap(t):
    cost = t["cost"]
    rows = []
    for r in cost[(cost.activation != "relu") & cost.seconds.notna()].itertuples():
        rows.append(dict(claim_id=f"S-cost-{r.activation}", claim="ReLU is computationally very cheap",
                         source="seed texts 2-3", condition=f"forward+backward time of {r.activation} relative to ReLU, "
                         f"same tensors, mean ratio over interleaved rounds", expected=">= 1", measured=r.relative_to_relu,
                         ci_low=r.ci_low, ci_high=r.ci_high, n=r.rounds,
                         verdict="reproduced" if r.ci_low >= 1 else "partly" if r.ci_high >= 1 else "not reproduced"))
    return rows


@claim("S-poor-init", inits=["he", "he_x3"])
def poor_init_explodes(t):
    runs = t["runs"]
    rows = []
    for act in sorted(runs.activation.unique()):
        r = runs[runs.activation == act]
        if not {"he", "he_x3"} <= set(r.init):
            continue
        bad = r.assign(unstable=(r.diverged | (r.exploding_steps > 0)).astype(float))
        diff = paired(bad, "init", "he_x3", "he", "unstable")
        bounded = act in ("tanh", "sigmoid")  # the contrast: a bounded activation should not blow up
        verdict = (lambda m, lo, hi: "reproduced" if hi <= 0.05 else "not reproduced") if bounded else above_zero
        rows.append(row(f"S-poor-init-{act}", "unbounded ReLU gives exploding or unstable gradients, worse with poor init",
                        "seed text 2", f"{act}: share of runs that diverge or explode, He x3 minus He, paired by seed",
                        "about 0 (bounded)" if bounded else "> 0", diff, verdict))
    return rows


@claim("UvA", activations=["relu"], inits=["torch_default", "he"])
def default_init_kills_deep_units(t):
    runs, layers = t["runs"], t["layers"]
    relu = runs[runs.activation == "relu"]
    at_init = layers[(layers.epoch == 0) & layers.run_id.isin(relu.run_id)]
    rows = []
    for depth, published, target, slack in ((4, "7.8% (layers 1-4: 0, 0, 1.2, 7.8%)", 0.078, 0.05),
                                            (10, "up to 56% in deep layers", 0.56, 0.15)):
        cell = relu[(relu.init == "torch_default") & (relu.depth == depth)]
        per_run = at_init[at_init.run_id.isin(cell.run_id)].pivot_table(index="run_id", columns="layer", values="dead")
        if per_run.empty:
            continue
        deepest = per_run.iloc[:, -1]
        _, rise_low, _, _ = bootstrap_ci(deepest - per_run.iloc[:, 0])
        profile = ", ".join(f"{v:.1%}" for v in per_run.mean())
        rows.append(row(f"UvA-d{depth}", "PyTorch's default Linear init leaves deep ReLU units dead before training",
                        "UvA DL tutorial 3 (GUIDE §2)", f"relu, torch_default init, depth {depth}, width "
                        f"{cell.width.iloc[0]}, {cell.dataset.iloc[0]}, untrained: dead fraction of the last hidden layer "
                        f"(mean per layer: {profile})", published, deepest,
                        lambda m, lo, hi: "reproduced" if rise_low > 0 and _within(lo - slack, hi + slack, target)
                        else "partly" if rise_low > 0 else "not reproduced"))
    diff = paired(relu[relu.depth == 10], "init", "he", "torch_default", "dead_init")
    if len(diff):
        rows.append(row("UvA-he", "He init keeps those units alive", "UvA DL tutorial 3; He et al. 2015",
                        "relu, depth 10, untrained: dead fraction over all hidden units, He minus torch_default, "
                        "paired by seed", "< 0", diff, below_zero))
    return rows


COLUMNS = ["claim_id", "claim", "source", "condition", "expected", "measured", "ci_low", "ci_high", "n", "verdict"]


def evaluate(tables: dict, config: dict):
    """Every claim under ``claims:`` in the config, on the runs of the experiments it names: (claims.csv,
    and per configured claim how many rows it produced and, if none, why: claims_status.csv)."""
    ok = tables["runs"][~tables["runs"].failed]
    rows, status = [], []
    for name, options in config.get("claims", {}).items():
        experiments = (options or {}).get("experiments")
        runs = ok if experiments is None else ok[ok.experiment.isin(experiments)]
        if experiments is not None and runs.empty:
            status.append(dict(claim=name, rows=0, reason=f"no runs in experiments {', '.join(experiments)}"))
            continue
        fn = CLAIMS.get(name)
        if fn.nets == "trained":
            runs, left_out = runs[runs.outcome == "trained"], runs.outcome.value_counts()
            note = (f"trained nets only: {len(runs)} of {left_out.sum()} in its experiments "
                    f"({left_out.get('untrained', 0)} untrained, {left_out.get('diverged', 0)} diverged left out)")
        picked = dict(tables, runs=runs, layers=tables["layers"][tables["layers"].run_id.isin(runs.run_id)])
        produced = fn(picked)
        if fn.nets == "trained":
            produced = [dict(r, condition=f"{r['condition']}; {note}") for r in produced]
        status.append(dict(claim=name, rows=len(produced), reason="" if produced else "its arms have no runs"))
        rows += produced
    return pd.DataFrame(rows, columns=COLUMNS), pd.DataFrame(status, columns=["claim", "rows", "reason"])
