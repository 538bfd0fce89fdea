"""Claim verdicts on synthetic tables whose answer is known: every claim is driven to each verdict
its rule can give (a rule that cannot fail is no reproduction), and the init-only
measurements."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from deadunits import simulate
from deadunits.claims import CLAIMS, COLUMNS, evaluate
from deadunits.cost import activation_cost
from deadunits.tables import StudyTables

SEEDS = 8
BASE = dict(
    dataset="d",
    experiment="e",
    optimizer="sgd",
    depth=4,
    width=8,
    lr=0.1,
    activation="relu",
    init="he",
    norm="none",
    residual="plain",
    variant="none",
    intervention="none",
    dormant_final=0.0,
    weight_decay=0.0,
    outcome="trained",
    diverged=False,
    failed=False,
    exploding_steps=0,
    final_val_acc=0.9,
    final_train_acc=0.9,
    final_test_acc=0.9,
    steps_to_target=100.0,
    epochs_to_target=100.0,
    budget_steps=1000,
    val_epochs_to_target=2.0,
    budget_epochs=10,
    dead_final_full=0.0,
    inactive_init_full=0.0,
    sparsity_init=0.5,
    sparsity_final=0.5,
    loss_auc=1.0,
)


def spread(value, width=0.01, seeds=SEEDS):
    """Per-seed values around ``value``: a tight CI."""
    return list(value + np.linspace(-width, width, seeds))


def runs(*groups, seeds=SEEDS):
    """Synthetic runs, ``seeds`` per group; a group maps columns to a value, or to per-seed
    values."""
    rows = []
    for group in groups:
        for seed in range(seeds):
            r = dict(
                BASE,
                seed=seed,
                **{k: v[seed] if isinstance(v, list) else v for k, v in group.items()},
            )
            r["run_id"] = (
                f"{r['activation']}/{r['init']}+{r['norm']}+{r['residual']}/d{r['depth']}/"
                f"w{r['width']}/lr{r['lr']}/{seed}"
            )
            rows.append(r)
    return pd.DataFrame(rows)


def study(tables: dict) -> StudyTables:
    """The tables a claim reads, from the pieces a test builds (runs of cells that did not fail)."""
    runs = tables.get("runs", pd.DataFrame({"run_id": []}))
    others = {k: v for k, v in tables.items() if k != "runs"}
    return StudyTables(all_runs=runs.assign(failed=False), **others)


def check(name, tables: dict):
    return CLAIMS.get(name)(study(tables))


def evaluate_tables(tables: dict, config: dict):
    return evaluate(study(tables), config)


def verdicts(name, tables):
    return {r["claim_id"]: r["verdict"] for r in check(name, tables)}


def collapse_runs(he, other=0.5, moving=False, init="rai", seeds=40):
    """R2 runs: ``he`` (and ``other``) the collapsed share at the end; with ``moving`` every net was
    still collapsed at half the budget (the rate had not settled)."""

    def arm(share, **key):
        collapsed = int(round(share * seeds))
        return dict(
            width=2,
            depth=10,
            **key,
            constant_loss=1.0,
            outcome=["untrained"] * collapsed + ["trained"] * (seeds - collapsed),
        )

    arms = [arm(he, init="he"), *([arm(other, init=init)] if other is not None else [])]
    r = runs(*arms, seeds=seeds)
    half = np.where((r.outcome == "trained") & (not moving), 0.1, 1.0)
    curves = pd.concat(
        [
            pd.DataFrame(dict(run_id=r.run_id, epoch=15, train_loss=half)),
            pd.DataFrame(dict(run_id=r.run_id, epoch=30, train_loss=0.1)),
        ]
    )
    return {"runs": r, "curves": curves}


@pytest.mark.parametrize(
    "he, moving, verdict",
    [
        (0.95, False, "reproduced"),
        (0.7, False, "partly"),
        (0.5, False, "not reproduced"),
        (0.5, True, "inconclusive"),
    ],
)
def test_collapse_rate_against_published(he, moving, verdict):
    assert verdicts("R2", collapse_runs(he, moving=moving))["R2-he"] == verdict


@pytest.mark.parametrize(
    "he, other, init, verdict",
    [
        (0.95, 0.25, "rai", "reproduced"),
        (0.95, 0.0, "rai", "partly"),
        (0.5, 0.95, "rai", "not reproduced"),
        (0.95, 0.5, "he_bias0.1", "reproduced"),
    ],
)
def test_collapse_fix_is_paired_with_he(he, other, init, verdict):
    assert verdicts("R2", collapse_runs(he, other, init=init))[f"R2-{init}"] == verdict


@pytest.mark.parametrize(
    "width, rate, verdict",
    [
        (3, 0.6, "reproduced"),
        (3, 0.0, "not reproduced"),
        (3, 0.52, "inconclusive"),
        (5, 0.5, "reproduced"),
        (5, 0.0, "not reproduced"),
        (10, 0.0, "reproduced"),
        (10, 0.5, "not reproduced"),
    ],
)
def test_collapse_against_width(width, rate, verdict):
    tables = collapse_runs(0.95, seeds=400)
    wide = collapse_runs(rate, seeds=400)
    wide["runs"] = wide["runs"].assign(width=width, run_id=lambda r: r.run_id + f"w{width}")
    wide["curves"] = wide["curves"].assign(run_id=lambda r: r.run_id + f"w{width}")
    tables = {k: pd.concat([tables[k], wide[k]]) for k in tables}
    assert verdicts("R2", tables)[f"R2-width{width}"] == verdict


def deep_tables(he_error, xavier_error):
    r = runs(
        dict(init="he", depth=32, final_train_acc=spread(1 - he_error)),
        dict(init="xavier", depth=32, final_train_acc=spread(1 - xavier_error)),
    )
    return {
        "runs": r,
        "layers": pd.DataFrame(dict(run_id=[], epoch=[], layer=[], act_std=[], act_mean=[])),
    }


@pytest.mark.parametrize(
    "he, xavier, he_verdict, xavier_verdict",
    [
        (0.05, 0.9, "reproduced", "reproduced"),
        (0.3, 0.45, "partly", "not reproduced"),
        (0.05, 0.05, "reproduced", "not reproduced"),
        (0.8, 0.9, "not reproduced", "inconclusive"),
    ],
)
def test_xavier_stalls_only_when_he_trains(he, xavier, he_verdict, xavier_verdict):
    got = verdicts("R3", deep_tables(he, xavier))
    assert (got["R3-he"], got["R3-xavier"]) == (he_verdict, xavier_verdict)


def speed_runs(relu_epochs, slow_epochs, budget=1000):
    """R4 runs: per-seed epochs to target (NaN: censored at ``budget``) for relu and tanh, one lr
    each."""
    return {
        "runs": runs(
            dict(activation="relu", epochs_to_target=relu_epochs, budget_epochs=budget),
            dict(activation="tanh", epochs_to_target=slow_epochs, budget_epochs=budget),
        )
    }


@pytest.mark.slow  # Kaplan-Meier medians bootstrapped with lifelines: seconds each
@pytest.mark.parametrize(
    "relu, slow, verdict",
    [
        (spread(100, 5), spread(600, 30), "reproduced"),
        (spread(100, 5), spread(200, 10), "partly"),
        (spread(100, 5), spread(90, 5), "not reproduced"),
        (spread(100, 5), [np.nan] * 8, "partly"),  # censored beyond 10x: at least six
        (spread(300, 5), [np.nan] * 8, "inconclusive"),  # censored, but the bound is only 3.3
        ([100.0] * 5 + [np.nan] * 3, spread(600, 30), "inconclusive"),
    ],
)  # ReLU reaches its target in 5 of 8 runs
def test_six_times_faster_with_censoring(relu, slow, verdict):
    (row,) = check("R4", speed_runs(relu, slow))
    assert row["verdict"] == verdict
    if verdict == "reproduced":
        assert (
            row["measured"] == pytest.approx(6, rel=0.05) and row["ci_low"] <= 6 <= row["ci_high"]
        )


@pytest.mark.slow  # Kaplan-Meier medians bootstrapped with lifelines: seconds each
def test_censored_runs_count_in_the_median_instead_of_being_dropped():
    slow = [500.0, 550.0, 600.0] + [
        np.nan
    ] * 5  # dropping the censored runs would give a median of 550
    (row,) = check("R4", speed_runs([100.0] * 8, slow))
    assert np.isinf(row["ci_high"]) or row["measured"] >= 10, "the median is beyond the budget"
    assert row["bound"] == "lower" and np.isnan(row["ci_low"]), (
        "a lower bound, not a number with a CI"
    )
    assert "3 of 8 tanh" in row["condition"]


@pytest.mark.slow  # Kaplan-Meier medians bootstrapped with lifelines: seconds each
def test_lr_is_chosen_for_speed_on_validation():
    fast_val = dict(
        activation="tanh", lr=0.1, epochs_to_target=spread(600, 30), val_epochs_to_target=2.0
    )
    slow_val = dict(
        activation="tanh", lr=0.01, epochs_to_target=spread(200, 10), val_epochs_to_target=8.0
    )
    (row,) = check(
        "R4",
        {
            "runs": runs(
                dict(activation="relu", epochs_to_target=spread(100, 5)), fast_val, slow_val
            )
        },
    )
    assert "tanh (lr 0.1)" in row["condition"] and row["measured"] == pytest.approx(6, rel=0.05)


def elu_tables(bias_gap, speed_gap):
    r = runs(
        dict(activation="elu", loss_auc=spread(1 + speed_gap)),
        dict(activation="relu"),
        dict(activation="leaky_0.1"),
    )
    layers = pd.DataFrame(
        [
            dict(
                run_id=i,
                epoch=10,
                layer=1,
                bias_shift=0.2 + (bias_gap if i.startswith("elu") else 0),
            )
            for i in r.run_id
        ]
    )
    layers.loc[layers.run_id.str.startswith("elu"), "bias_shift"] += np.linspace(-0.01, 0.01, SEEDS)
    return {"runs": r, "layers": layers}


@pytest.mark.parametrize(
    "gap, verdict", [(-0.1, "reproduced"), (-0.004, "not reproduced"), (0.1, "not reproduced")]
)
def test_elu_bias_shift_and_speed_paired_by_seed(gap, verdict):
    got = verdicts("R5", elu_tables(gap, gap))
    assert got["R5-bias-relu"] == got["R5-speed-leaky_0.1"] == verdict


def lr_tables(low_dead, high_dead, high_outcome="trained"):
    r = runs(
        dict(lr=0.01, dead_final_full=spread(low_dead)),
        dict(lr=1.0, dead_final_full=spread(high_dead), outcome=high_outcome),
    )
    return {"runs": r}


@pytest.mark.parametrize(
    "high, outcome, verdict",
    [
        (0.5, "diverged", "reproduced"),
        (0.2, "untrained", "partly"),
        (0.05, "trained", "not reproduced"),
    ],
)
def test_dead_fraction_at_high_lr_counts_every_outcome(high, outcome, verdict):
    rows = {r["claim_id"]: r for r in check("R6", lr_tables(0.02, high, outcome))}
    why = "the highest tried: at least half" if outcome == "trained" else "the lowest where fewer"
    assert rows["R6-sgd-d4"]["verdict"] == verdict
    assert f"lr 1 ({why}" in rows["R6-sgd-d4"]["condition"], "says why this lr was read"
    assert f"8 {outcome} " in rows["R6-sgd-d4"]["condition"]


def test_dead_fraction_is_judged_where_the_lr_first_fails_not_where_it_peaks():
    r = runs(
        dict(lr=0.01, dead_final_full=spread(0.02)),
        dict(lr=0.1, dead_final_full=spread(0.2), outcome="untrained"),
        dict(lr=1.0, dead_final_full=spread(0.6), outcome="diverged"),
    )
    row = {x["claim_id"]: x for x in check("R6", {"runs": r})}["R6-sgd-d4"]
    assert row["measured"] == pytest.approx(0.2) and row["verdict"] == "partly"


@pytest.mark.parametrize(
    "high, outcome, judged_at, verdict",
    [(0.5, "trained", 1, "reproduced"), (0.5, "diverged", 0.01, "not reproduced")],
)
def test_dead_fraction_of_trained_nets_at_the_highest_lr_where_they_train(
    high, outcome, judged_at, verdict
):
    row = {r["claim_id"]: r for r in check("R6", lr_tables(0.02, high, outcome))}[
        "R6-trained-sgd-d4"
    ]
    assert row["verdict"] == verdict and f"lr {judged_at:g} (the highest where" in row["condition"]


def selu_tables(variance, mean=0.0):
    r = runs(
        dict(activation="selu", init="lecun", depth=32),
        dict(activation="selu", init="he", depth=32),
    )
    layers = pd.DataFrame(
        dict(
            run_id=r.run_id,
            epoch=0,
            layer=32,
            act_mean=mean,
            act_std=np.sqrt(np.r_[spread(variance), spread(4 * variance)]),
        )
    )
    return {"runs": r, "layers": layers}


@pytest.mark.parametrize(
    "variance, mean, verdict",
    [(1.0, 0.0, "reproduced"), (1.0, 0.5, "partly"), (5.0, 0.0, "not reproduced")],
)
def test_selu_normalises_with_lecun_and_he_is_a_contrast(variance, mean, verdict):
    rows = {r["claim_id"]: r for r in check("R7", selu_tables(variance, mean))}
    assert rows["R7-lecun"]["verdict"] == verdict and rows["R7-lecun"]["kind"] == "claim"
    assert rows["R7-he"]["kind"] == "contrast"


@pytest.mark.parametrize(
    "test_acc, verdict", [(0.68, "reproduced"), (0.672, "inconclusive"), (0.62, "not reproduced")]
)
def test_accuracy_of_the_cell_best_on_validation(test_acc, verdict):
    chosen = dict(dataset="mnist1d", lr=0.1, final_val_acc=0.7, final_test_acc=spread(test_acc))
    tempting = dict(
        dataset="mnist1d", lr=0.01, final_val_acc=0.6, final_test_acc=spread(0.67)
    )  # best on test only
    assert verdicts("R9", {"runs": runs(chosen, tempting)}) == {"R9-mnist1d": verdict}


@pytest.mark.parametrize(
    "he, bias, verdict",
    [
        (0.3, 0.1, "reproduced"),
        (0.1, 0.0965, "not reproduced"),
        (0.1, 0.3, "not reproduced"),
        (0.0, 0.0, "inconclusive"),
    ],
)
def test_positive_bias_claim_is_paired_by_seed(he, bias, verdict):
    r = runs(
        dict(init="he", dead_final_full=spread(he) if he else 0.0),
        dict(
            init="he_bias0.1",
            dead_final_full=[x + 0.005 * (-1) ** i for i, x in enumerate(spread(bias))]
            if bias
            else 0.0,
        ),
    )
    assert verdicts("S-bias", {"runs": r}) == {"S-bias-d4-lr0.1": verdict}


def prelu_tables(first, deep):
    r = runs(dict(activation="prelu"))
    layers = pd.DataFrame(
        [
            dict(
                run_id=i,
                epoch=10,
                layer=layer,
                prelu_slope=(first if layer == 1 else deep) + 0.001 * s,
            )
            for s, i in enumerate(r.run_id)
            for layer in (1, 2, 3)
        ]
    )
    return {"runs": r, "layers": layers}


@pytest.mark.parametrize(
    "first, deep, verdict",
    [(0.6, 0.1, "reproduced"), (0.1, 0.6, "not reproduced"), (0.26, 0.24, "inconclusive")],
)
def test_prelu_slopes_need_to_move_before_they_are_judged(first, deep, verdict):
    assert verdicts("S-prelu", prelu_tables(first, deep)) == {"S-prelu-d4": verdict}


@pytest.mark.parametrize(
    "dead, verdict",
    [(0.3, "reproduced"), ([0.0] * 7 + [0.9], "not reproduced"), (0.01, "not reproduced")],
)
def test_relu_units_die(dead, verdict):
    r = runs(dict(dead_final_full=dead if isinstance(dead, list) else spread(dead, 0.005)))
    assert verdicts("S-dead", {"runs": r}) == {"S-dead-e-sgd-d4": verdict}


def test_relu_units_die_counts_untrained_nets():
    r = runs(
        dict(dead_final_full=[0.6] * 4 + [0.02] * 4, outcome=["untrained"] * 4 + ["trained"] * 4)
    )
    (row,) = check("S-dead", {"runs": r})
    assert (
        row["measured"] == pytest.approx(0.31)
        and "4 trained 2.0%, 4 untrained 60.0%" in row["condition"]
    )


@pytest.mark.parametrize(
    "relu, elu, verdict",
    [(0.2, 0.0, "reproduced"), (0.2, 0.3, "not reproduced"), (0.0, 0.0, "inconclusive")],
)
def test_leaks_pass_gradient_only_where_relu_has_dead_units(relu, elu, verdict):
    r = runs(
        dict(dead_final_full=spread(relu) if relu else 0.0),
        dict(activation="elu", dead_final_full=spread(elu) if elu else 0.0),
    )
    assert verdicts("S-leaks-pass-gradient", {"runs": r}) == {
        "S-leaks-pass-gradient-elu-d4": verdict
    }


def revival_tables(relu_share, leaky_share):
    """The revival table: per seed, the share of killed units that fire again, relu and
    leaky_0.01."""
    rows = [
        dict(activation=a, seed=seed, killed=16, revived=share[seed], revived_first_layer=0.0)
        for a, share in (("relu", relu_share), ("leaky_0.01", leaky_share))
        for seed in range(SEEDS)
    ]
    return {"revival": pd.DataFrame(rows)}


@pytest.mark.parametrize(
    "gain, verdict", [(0.3, "reproduced"), (-0.05, "not reproduced"), (0.0, "not reproduced")]
)
def test_leak_revival_claim_compares_with_relu_by_seed(gain, verdict):
    relu = np.random.default_rng(0).uniform(0.0, 0.1, SEEDS)
    rows = {r["claim_id"]: r for r in check("S-leak-revives", revival_tables(relu, relu + gain))}
    row = rows["S-leak-revives-leaky_0.01"]
    assert (
        row["measured"] == pytest.approx(gain) and row["verdict"] == verdict and row["n"] == SEEDS
    )


@pytest.mark.parametrize("relu, verdict", [(0.01, "reproduced"), (0.3, "not reproduced")])
def test_dead_relu_units_stay_dead_unless_they_revive(relu, verdict):
    rows = {
        r["claim_id"]: r
        for r in check("S-leak-revives", revival_tables(spread(relu, 0.005), spread(0.5)))
    }
    assert rows["S-leak-revives-relu"]["verdict"] == verdict


def cost_tables(reinit_gain, ablation_change):
    ablate = [
        dict(
            setup="ablate",
            seed=s,
            outcome="trained",
            dead=0.4,
            train_error=0.2,
            ablated_train_error=0.2,
            test_error=0.25,
            ablated_test_error=0.25 + ablation_change + 0.001 * (s - 4),
            narrow_width=38,
            narrow_dead=0.3,
            narrow_test_error=0.25 - ablation_change + 0.002 * (s % 2),
        )
        for s in range(SEEDS)
    ]
    recover = [
        dict(
            setup="recover",
            seed=s,
            outcome="untrained" if s < SEEDS else "diverged",
            dead=0.5,
            as_is_train_error=0.9,
            reinit_train_error=0.9 - reinit_gain + 0.01 * (s % 3),
            reinit_diverged=False,
        )
        for s in range(SEEDS + 4)
    ]
    return {"dead_cost": pd.DataFrame(ablate + recover)}


@pytest.mark.parametrize(
    "gain, change, recover, ablate",
    [(0.5, 0.0, "reproduced", "reproduced"), (0.0, 0.05, "not reproduced", "not reproduced")],
)
def test_dead_unit_cost_by_ablation_and_reinitialisation(gain, change, recover, ablate):
    rows = {r["claim_id"]: r for r in check("S-dead-cost", cost_tables(gain, change))}
    assert (
        rows["S-dead-cost-recover"]["verdict"] == recover
        and rows["S-dead-cost-recover"]["n"] == SEEDS
    )
    assert "4 diverged" in rows["S-dead-cost-recover"]["condition"]
    assert (
        rows["S-dead-cost-width"]["verdict"] == ablate
        and "width 38" in rows["S-dead-cost-width"]["condition"]
    )
    assert (rows["S-dead-cost-ablate"]["verdict"], rows["S-dead-cost-ablate"]["kind"]) == (
        ablate,
        "contrast",
    )


@pytest.mark.parametrize("final, verdict", [(0.7, "reproduced"), (0.45, "not reproduced")])
def test_sparsity_counts_only_zeros_beyond_init_and_is_a_sanity_check(final, verdict):
    (row,) = check("S-sparsity", {"runs": runs(dict(sparsity_final=spread(final)))})
    assert (row["verdict"], row["kind"]) == (verdict, "sanity")


@pytest.mark.parametrize("x3_unstable, verdict", [(1.0, "reproduced"), (0.0, "not reproduced")])
def test_poor_init_against_he_with_a_bounded_contrast(x3_unstable, verdict):
    unstable = [i < x3_unstable * SEEDS for i in range(SEEDS)]
    r = runs(
        dict(init="he"),
        dict(init="he_x3", diverged=unstable),
        dict(activation="tanh", init="he"),
        dict(activation="tanh", init="he_x3"),
    )
    rows = {x["claim_id"]: x for x in check("S-poor-init", {"runs": r})}
    assert rows["S-poor-init-relu-lr0.1"]["verdict"] == verdict
    tanh = rows["S-poor-init-tanh-lr0.1"]
    assert (tanh["verdict"], tanh["kind"]) == ("reproduced", "contrast")


def uva_tables(profiles: dict):
    """Untrained nets: ``profiles`` maps (init, depth) to the per-layer whole-set inactive shares at
    epoch 0."""
    r = runs(
        *[
            dict(
                init=init,
                depth=depth,
                width=256,
                layer_widths="256x4",
                inactive_init_full=float(np.mean(p)),
            )
            for (init, depth), p in profiles.items()
        ]
    )
    layers = [
        dict(
            run_id=x.run_id, epoch=0, layer=i + 1, inactive_full=max(v + 0.001 * (x.seed - 4), 0.0)
        )
        for x in r.itertuples()
        for i, v in enumerate(profiles[(x.init, x.depth)])
    ]
    return {"runs": r, "layers": pd.DataFrame(layers)}


TUTORIAL_D10 = [
    0.0,
    0.0,
    0.027,
    0.106,
    0.348,
    0.469,
    0.453,
    0.477,
    0.5625,
    0.438,
]  # its one seed, layers 1-10


def test_default_init_claim_reads_the_layer_each_tutorial_number_belongs_to():
    tables = uva_tables(
        {
            ("torch_default", 4): [0.0, 0.0, 0.012, 0.078],
            ("torch_default", 10): TUTORIAL_D10,
            ("he", 10): [0.01] * 10,
        }
    )
    rows = {r["claim_id"]: r for r in check("UvA", tables)}
    assert rows["UvA-d4"]["measured"] == pytest.approx(0.078, abs=0.005)
    assert rows["UvA-d10"]["measured"] == pytest.approx(
        0.5625, abs=0.005
    )  # layer 9, not the last layer
    assert [rows[k]["verdict"] for k in ("UvA-d4", "UvA-d10", "UvA-he")] == ["reproduced"] * 3
    assert (
        verdicts("UvA", uva_tables({("torch_default", 10): TUTORIAL_D10[:8] + [0.3, 0.56]}))[
            "UvA-d10"
        ]
        == "partly"
    )
    assert (
        verdicts("UvA", uva_tables({("torch_default", 4): [0.0, 0.0, 0.1, 0.3]}))["UvA-d4"]
        == "partly"
    )
    assert (
        verdicts("UvA", uva_tables({("torch_default", 4): [0.05] * 4}))["UvA-d4"]
        == "not reproduced"
    )


def test_too_few_nets_is_inconclusive():
    r = runs(dict(dead_final_full=spread(0.5)))
    assert verdicts("S-dead", {"runs": r[r.seed < 5]}) == {"S-dead-e-sgd-d4": "inconclusive"}


def test_born_dead_claim_against_theory():
    table = simulate.born_dead(
        [2, 3], [10], 1500, torch.randn(64, 5, generator=torch.Generator().manual_seed(0))
    )
    assert (table.p_dataset <= table.p_empirical + 1e-9).all(), (
        "dead over the set needs a dead layer at the first input"
    )
    rows = check("R1", {"born_dead": table})
    assert [r["claim_id"] for r in rows] == ["R1-w2-d10", "R1-w3-d10"]
    assert all(r["verdict"] == "reproduced" and r["kind"] == "sanity" for r in rows)
    wrong = table.assign(p_empirical=table.p_theory - 0.2)
    assert all(r["verdict"] == "not reproduced" for r in check("R1", {"born_dead": wrong}))


def test_length_variance_grows_with_sum_of_inverse_width():
    table = simulate.length_variance([4, 32], [4, 12], 400)
    narrow_deep = table[(table.width == 4) & (table.depth == 12)].normalised_variance.item()
    wide_shallow = table[(table.width == 32) & (table.depth == 4)].normalised_variance.item()
    assert narrow_deep > 3 * wide_shallow
    assert table.measurable.tolist() == (table.predicted <= 20).tolist()  # sqrt(400)
    wide = table[table.width == 32].set_index("depth")
    assert np.allclose(wide.predicted, [(1 + 5 / 32) ** 4 - 1, (1 + 5 / 32) ** 12 - 1])
    assert (
        abs(wide.normalised_variance[4] / wide.predicted[4] - 1) < 0.3
    )  # 400 draws of a heavy tail


def test_length_claim_fits_only_cells_the_draws_can_show():
    table = simulate.length_variance([4, 16, 64], [3, 6], 10)  # only the shapes matter below
    exact = table.assign(
        normalised_variance=table.predicted, draws=10**6, measurable=table.predicted <= 100
    )
    (row,) = check("R8", {"lengths": exact})
    assert (
        row["verdict"] == "reproduced" and "5 of 6 cells" in row["condition"]
    )  # width 4, depth 6 predicts 129
    assert row["measured"] == pytest.approx(
        float(row["expected"].split("slope ")[1].split()[0]), abs=0.01
    )
    flat = exact.assign(
        normalised_variance=np.sqrt(exact.predicted)
    )  # grows, at half the rate on log scale
    assert check("R8", {"lengths": flat})[0]["verdict"] == "partly"
    assert check("R8", {"lengths": exact.assign(measurable=False)}) == []


@pytest.mark.slow  # times in separate processes
def test_activation_cost_is_relative_to_relu():
    cost = activation_cost(
        {"relu": {"fn": "relu"}, "elu": {"fn": "elu"}}, shape=(4, 64, 64), rounds=3, processes=3
    )
    assert cost.set_index("activation").relative_to_relu["relu"] == 1.0 and (cost.seconds > 0).all()
    assert (cost.ci_low <= cost.relative_to_relu).all() and (
        cost.relative_to_relu <= cost.ci_high
    ).all()
    assert cost.processes.tolist() == [3, 3] and cost.rounds.tolist() == [3, 3]


def test_cost_verdict_needs_the_interval_above_relu():
    cost = pd.DataFrame(
        dict(
            activation=["relu", "elu", "leaky", "fast"],
            relative_to_relu=[1.0, 1.5, 0.95, 0.7],
            ci_low=[1.0, 1.3, 0.85, 0.6],
            ci_high=[1.0, 1.7, 1.05, 0.8],
            rounds=15,
            processes=5,
            seconds=1.0,
        )
    )
    verdicts = check("S-cost", {"cost": cost})
    assert [(r["claim_id"], r["verdict"]) for r in verdicts] == [
        ("S-cost-elu", "reproduced"),
        ("S-cost-leaky", "inconclusive"),
        ("S-cost-fast", "not reproduced"),
    ]


def test_evaluate_skips_claims_whose_experiments_have_no_runs():
    table, status = evaluate_tables(
        {"runs": runs(dict(lr=1.0, dead_final_full=0.5)), "layers": pd.DataFrame({"run_id": []})},
        {"claims": {"R6": {"experiments": ["e"]}, "S-bias": {"experiments": ["missing"]}}},
    )
    assert table.claim_id.tolist() == ["R6-sgd-d4", "R6-trained-sgd-d4"] and set(table.group) == {
        "R6"
    }
    assert status.set_index("claim").rows.to_dict() == {"R6": 2, "S-bias": 0}
    assert list(table.columns) == COLUMNS


def test_claims_about_working_nets_see_only_trained_nets():
    r = runs(
        dict(lr=0.01, sparsity_final=0.7), dict(lr=1.0, sparsity_final=0.3, outcome="untrained")
    )
    table, _ = evaluate_tables(
        {"runs": r, "layers": pd.DataFrame({"run_id": []})}, {"claims": {"S-sparsity": {}}}
    )
    (row,) = table.to_dict("records")
    assert row["measured"] == pytest.approx(0.2), "the untrained nets' sparsity is not counted"
    assert row["condition"].endswith(
        "trained nets only: 8 of 16 in its experiments (8 untrained, 0 diverged left out)"
    )
    assert CLAIMS.get("R6").nets == "all" and CLAIMS.get("S-dead").nets == "all"


def test_verdicts_are_decided_on_the_adjusted_p():
    """Eight seeds whose one-sided p is about 0.02 pass alone; beside nine rows with no effect
    (p about 0.5), Benjamini-Hochberg lifts it above ALPHA and the verdict turns."""
    weak = [0.11, -0.02, 0.05, 0.09, -0.01, 0.08, 0.03, 0.07]
    alone, _ = evaluate_tables(
        {
            "runs": runs(
                dict(init="he", dead_final_full=0.2),
                dict(init="he_bias0.1", dead_final_full=[0.2 - w for w in weak]),
            ),
            "layers": pd.DataFrame({"run_id": []}),
        },
        {"claims": {"S-bias": {}}},
    )
    assert alone.verdict.tolist() == ["reproduced"] and alone.p_adj.iloc[0] == pytest.approx(
        alone.p.iloc[0]
    )
    null = [0.05, -0.05, 0.02, -0.02, 0.01, -0.01, 0.03, -0.03]
    groups = [dict(init="he", dead_final_full=0.2, lr=lr) for lr in range(1, 11)]
    groups += [
        dict(
            init="he_bias0.1", lr=lr, dead_final_full=[0.2 - w for w in (weak if lr == 1 else null)]
        )
        for lr in range(1, 11)
    ]
    many, _ = evaluate_tables(
        {"runs": runs(*groups), "layers": pd.DataFrame({"run_id": []})}, {"claims": {"S-bias": {}}}
    )
    first = many.set_index("claim_id").loc["S-bias-d4-lr1"]
    assert first.p < 0.025 < first.p_adj and first.verdict == "not reproduced"


def test_default_study_configures_every_registered_claim():
    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
    assert set(config["claims"]) == set(CLAIMS), (
        "a registered claim missing from config.yaml never reaches the report"
    )


def test_an_arm_still_escaping_collapse_is_judged_but_a_rising_one_is_not():
    tables = collapse_runs(0.95, 0.25)
    rai = tables["runs"][tables["runs"].init == "rai"].run_id
    half = (tables["curves"].epoch == 15) & tables["curves"].run_id.isin(rai)
    falling = dict(
        tables, curves=tables["curves"].assign(train_loss=lambda c: c.train_loss.where(~half, 1.0))
    )
    assert verdicts("R2", falling)["R2-rai"] == "reproduced", "more training only widens the gap"
    rising = collapse_runs(0.95, 0.5)
    survivors = rising["runs"][
        (rising["runs"].init == "rai") & (rising["runs"].outcome == "trained")
    ].run_id
    rising["runs"].loc[rising["runs"].run_id.isin(survivors[:5]), "outcome"] = "untrained"
    assert verdicts("R2", rising)["R2-rai"] == "inconclusive", "nets still collapsing"


@pytest.mark.parametrize(
    "fix_error, fix_dead, train_verdict, dead_verdict",
    [
        (0.1, 0.05, "reproduced", "reproduced"),
        (0.6, 0.05, "not reproduced", "reproduced"),
        (0.1, 0.5, "reproduced", "not reproduced"),
    ],
)
def test_a_fix_at_depth_is_judged_against_the_plain_net_paired_by_seed(
    fix_error, fix_dead, train_verdict, dead_verdict
):
    """Each arm at its lr best on validation: the plain net's lr 0.01 (its lr 0.1 fits the
    training set better but validates worse), the fix's lr 0.1."""
    deep = dict(depth=32, width=64)
    plain = [
        dict(deep, lr=0.01, final_train_acc=spread(0.6), dead_final_full=spread(0.3)),
        dict(deep, lr=0.1, final_val_acc=0.5, final_train_acc=0.99, dead_final_full=0.0),
    ]
    fix = dict(deep, norm="batchnorm", lr=0.1, final_train_acc=spread(1 - fix_error))
    fix.update(dead_final_full=spread(fix_dead))
    slow = dict(fix, lr=0.01, final_val_acc=0.5)
    rows = {r["claim_id"]: r for r in check("F3", {"runs": runs(*plain, fix, slow)})}
    assert set(rows) == {"F3-train-batchnorm-plain", "F3-dead-batchnorm-plain"}
    assert rows["F3-train-batchnorm-plain"]["verdict"] == train_verdict
    assert rows["F3-dead-batchnorm-plain"]["verdict"] == dead_verdict
    assert "(lr 0.1) minus plain (lr 0.01)" in rows["F3-dead-batchnorm-plain"]["condition"]


def fix_tables(variant, fix_trains, fix_dead, plain_fails=True, optimizer="sgd", **fix):
    """A fixes grid at lrs 0.1 and 1: plain nets train at 0.1 and, if ``plain_fails``, diverge at
    1 with 50% dead units; the fix's nets at lr 1 train in ``fix_trains`` of 8 seeds with dead
    fractions around ``fix_dead``."""

    def nets(lr, trains, dead, **key):
        outcome = ["trained"] * trains + ["diverged"] * (SEEDS - trains)
        return {
            "optimizer": optimizer,
            "lr": lr,
            "outcome": outcome,
            "dead_final_full": spread(dead),
            **key,
        }

    plain = [
        nets(0.1, 8, 0.0),
        nets(1.0, 0 if plain_fails else 8, 0.5),
    ]
    fixed = [
        nets(lr, 8 if lr < 1 else fix_trains, fix_dead, variant=variant, **fix) for lr in (0.1, 1.0)
    ]
    return {"runs": runs(*plain, *fixed)}


@pytest.mark.parametrize(
    "trains, dead, plain_fails, verdicts_",
    [
        (8, 0.05, True, ("reproduced", "reproduced")),
        (3, 0.6, True, ("not reproduced", "not reproduced")),
        (8, 0.05, False, ("inconclusive", "inconclusive")),
    ],
)
def test_a_norm_is_judged_where_plain_nets_fail(trains, dead, plain_fails, verdicts_):
    for claim_id, variant in (("F1", "batchnorm"), ("F2", "layernorm")):
        tables = fix_tables(variant, trains, dead, plain_fails, norm=variant)
        rows = {r["claim_id"]: r for r in check(claim_id, tables)}
        assert set(rows) == {f"{claim_id}-trains-sgd-d4", f"{claim_id}-dead-sgd-d4"}
        assert (
            rows[f"{claim_id}-trains-sgd-d4"]["verdict"],
            rows[f"{claim_id}-dead-sgd-d4"]["verdict"],
        ) == verdicts_
        assert "sgd lr 1" in rows[f"{claim_id}-dead-sgd-d4"]["condition"]


@pytest.mark.parametrize(
    "dormant, acc, verdicts_",
    [
        (-0.2, 0.5, ("reproduced", "reproduced")),
        (0.0, 0.0, ("not reproduced", "not reproduced")),
    ],
)
def test_redo_rows_read_dormant_dead_and_accuracy_against_plain(dormant, acc, verdicts_):
    tables = fix_tables("redo", 8, 0.05, intervention="redo")
    r = tables["runs"]
    fix_high = (r.variant == "redo") & (r.lr == 1.0)
    r.loc[fix_high, "dormant_final"] = dormant + np.linspace(-0.01, 0.01, SEEDS)
    r.loc[fix_high, "final_test_acc"] = 0.9 + acc + np.linspace(-0.01, 0.01, SEEDS) - 0.5
    r.loc[(r.variant == "none") & (r.lr == 1.0), "final_test_acc"] = 0.4
    got = verdicts("F4", tables)
    assert (got["F4-dormant-sgd-d4"], got["F4-accuracy-sgd-d4"]) == verdicts_
    kinds = {r["claim_id"]: r["kind"] for r in check("F4", tables)}
    assert kinds["F4-dormant-sgd-d4"] == "sanity", "ReDo resets the units this score counts"
    assert got["F4-dead-sgd-d4"] == "reproduced"


def test_weight_decay_pairs_with_its_plain_optimizer_and_adam_with_sgd():
    tables = fix_tables("weight_decay", 8, 0.05)
    wd = tables["runs"].variant == "weight_decay"
    tables["runs"].loc[wd, ["optimizer", "weight_decay"]] = "sgd_wd", 5e-4
    tables["runs"]["plain_optimizer"] = "sgd"
    adam = fix_tables("weight_decay", 8, 0.05, optimizer="adam")["runs"]
    adam = adam[adam.variant == "none"].assign(
        lr=lambda r: r.lr / 100,
        dead_final_full=lambda r: r.dead_final_full + 0.3,
        final_val_acc=lambda r: np.where(r.lr < 0.005, 0.9, 0.1),
        plain_optimizer="adam",
    )
    tables["runs"] = pd.concat([tables["runs"], adam], ignore_index=True)
    got = verdicts("F5", tables)
    assert got == {"F5-dead-sgd-d4": "reproduced", "F5-adam-d4": "reproduced"}
    rows = {r["claim_id"]: r for r in check("F5", tables)}
    assert "Adam (lr 0.001" in rows["F5-adam-d4"]["condition"]
    more_sgd = tables["runs"].assign(
        dead_final_full=lambda r: r.dead_final_full.where(r.optimizer != "adam", 0.0)
    )
    assert verdicts("F5", {"runs": more_sgd})["F5-adam-d4"] == "not reproduced"


def test_a_claim_about_one_fix_reads_only_the_variants_that_change_nothing_else():
    tables = fix_tables("batchnorm", 8, 0.05, norm="batchnorm")
    both = fix_tables("bn_res", 8, 0.05, norm="batchnorm", residual="0.5")["runs"]
    tables["runs"] = pd.concat([tables["runs"], both[both.variant == "bn_res"]])
    assert set(verdicts("F1", tables)) == {"F1-trains-sgd-d4", "F1-dead-sgd-d4"}
    assert verdicts("F2", tables) == {}


def test_a_variant_is_compared_with_its_own_plain_optimizer_even_when_lrs_coincide():
    tables = fix_tables("weight_decay", 8, 0.05)
    r = tables["runs"].assign(plain_optimizer="sgd")
    r.loc[r.variant == "weight_decay", ["optimizer", "weight_decay"]] = "sgd_wd", 5e-4
    adam = r[r.variant == "none"].assign(optimizer="adam", plain_optimizer="adam")
    got = verdicts("F5", {"runs": pd.concat([r, adam], ignore_index=True)})
    assert set(got) == {"F5-dead-sgd-d4", "F5-adam-d4"}, "sgd_wd is not compared with adam"
