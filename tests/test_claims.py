"""Claim verdicts on synthetic tables whose answer is known, and the init-only measurements."""
import numpy as np
import pandas as pd
import pytest
import torch

from deadunits import simulate
from deadunits.claims import CLAIMS, evaluate


def synthetic_runs(values: dict, column="activation", metric="dead_final_full", extra=None):
    """Runs of 20 seeds per group; ``values`` maps a group to its per-seed metric."""
    rows = []
    for group, per_seed in values.items():
        for seed, value in enumerate(per_seed):
            rows.append({"dataset": "d", "depth": 4, "width": 8, "lr": 0.1, "seed": seed, "activation": "relu",
                         "init": "he", "diverged": False, "failed": False, "experiment": "e",
                         "run_id": f"{group}/{seed}", column: group, metric: value, **(extra or {})})
    return pd.DataFrame(rows)


def test_dead_fraction_claim_follows_the_data():
    rng = np.random.default_rng(0)
    runs = pd.concat([synthetic_runs({"relu": rng.uniform(0.0, 0.1, 20)}, "activation", "dead_final_full", {"lr": 0.01}),
                      synthetic_runs({"relu": rng.uniform(0.5, 0.6, 20)}, "activation", "dead_final_full", {"lr": 1.0})])
    (high,) = CLAIMS.get("R6")({"runs": runs})
    assert high["verdict"] == "reproduced" and 0.5 < high["measured"] < 0.6 and high["n"] == 20
    runs.loc[runs.lr == 1.0, "dead_final_full"] = 0.05
    runs.loc[runs.lr == 0.01, "dead_final_full"] = 0.2
    (low,) = CLAIMS.get("R6")({"runs": runs})
    assert low["verdict"] == "not reproduced"


def test_positive_bias_claim_is_paired_by_seed():
    dead_he = np.linspace(0.2, 0.6, 20)
    runs = synthetic_runs({"he": dead_he, "he_bias0.1": dead_he - 0.05}, "init")
    (result,) = CLAIMS.get("S-bias")({"runs": runs})
    assert result["measured"] == pytest.approx(-0.05) and result["verdict"] == "reproduced"
    runs = synthetic_runs({"he": dead_he, "he_bias0.1": dead_he + 0.05}, "init")
    assert CLAIMS.get("S-bias")({"runs": runs})[0]["verdict"] == "not reproduced"


def test_six_times_faster_ratio():
    relu = np.full(20, 100.0)
    runs = synthetic_runs({"relu": relu, "tanh": relu * 6, "sigmoid": relu * 2}, "activation", "steps_to_target")
    rows = {r["claim_id"]: r for r in CLAIMS.get("R4")({"runs": runs})}
    assert rows["R4-tanh"]["measured"] == pytest.approx(6) and rows["R4-tanh"]["verdict"] == "reproduced"
    assert rows["R4-sigmoid"]["measured"] == pytest.approx(2) and rows["R4-sigmoid"]["verdict"] == "partly"


def test_born_dead_claim_against_theory():
    table = simulate.born_dead([2, 3], [10], 1500, torch.randn(64, 5, generator=torch.Generator().manual_seed(0)))
    assert (table.p_dataset <= table.p_empirical + 1e-9).all(), "dead over the set needs a dead layer at the first input"
    rows = CLAIMS.get("R1")({"born_dead": table})
    assert [r["claim_id"] for r in rows] == ["R1-w2-d10", "R1-w3-d10"]
    assert all(r["verdict"] == "reproduced" for r in rows)
    wrong = table.assign(p_empirical=table.p_theory - 0.2)
    assert all(r["verdict"] == "not reproduced" for r in CLAIMS.get("R1")({"born_dead": wrong}))


def test_length_variance_grows_with_sum_of_inverse_width():
    table = simulate.length_variance([4, 32], [4, 12], 400)
    narrow_deep = table[(table.width == 4) & (table.depth == 12)].normalised_variance.item()
    wide_shallow = table[(table.width == 32) & (table.depth == 4)].normalised_variance.item()
    assert narrow_deep > 3 * wide_shallow


def test_activation_cost_is_relative_to_relu():
    cost = simulate.activation_cost({"relu": {"fn": "relu"}, "elu": {"fn": "elu"}}, shape=(4, 64, 64), rounds=3)
    assert cost.set_index("activation").relative_to_relu["relu"] == 1.0 and (cost.seconds > 0).all()
    assert (cost.ci_low <= cost.relative_to_relu).all() and (cost.relative_to_relu <= cost.ci_high).all()
    assert cost.rounds.tolist() == [3, 3]


def test_cost_verdict_needs_the_interval_above_relu():
    cost = pd.DataFrame(dict(activation=["relu", "elu", "leaky", "fast"], relative_to_relu=[1.0, 1.5, 0.95, 0.7],
                             ci_low=[1.0, 1.3, 0.85, 0.6], ci_high=[1.0, 1.7, 1.05, 0.8], rounds=15, seconds=1.0))
    verdicts = CLAIMS.get("S-cost")({"cost": cost})
    assert [(r["claim_id"], r["verdict"]) for r in verdicts] == [
        ("S-cost-elu", "reproduced"), ("S-cost-leaky", "partly"), ("S-cost-fast", "not reproduced")]


def test_evaluate_skips_claims_whose_experiments_have_no_runs():
    runs = synthetic_runs({"relu": np.full(20, 0.5)}, extra={"lr": 1.0})
    table = evaluate({"runs": runs, "layers": pd.DataFrame({"run_id": []})},
                     {"claims": {"R6": {"experiments": ["e"]}, "S-bias": {"experiments": ["missing"]}}})
    assert table.claim_id.tolist() == ["R6"]
    assert list(table.columns) == ["claim_id", "claim", "source", "condition", "expected", "measured", "ci_low",
                                   "ci_high", "n", "verdict"]
