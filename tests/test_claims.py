"""Claim verdicts on synthetic tables whose answer is known, and the init-only measurements."""
import numpy as np
import pandas as pd
import pytest
import torch

from deadunits import simulate
from deadunits.cost import activation_cost
from deadunits.claims import CLAIMS, evaluate


def synthetic_runs(values: dict, column="activation", metric="dead_final_full", extra=None):
    """Runs of 20 seeds per group; ``values`` maps a group to its per-seed metric."""
    rows = []
    for group, per_seed in values.items():
        for seed, value in enumerate(per_seed):
            rows.append({"dataset": "d", "depth": 4, "width": 8, "lr": 0.1, "seed": seed, "activation": "relu",
                         "init": "he", "diverged": False, "failed": False, "experiment": "e", "outcome": "trained",
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
    assert table.measurable.tolist() == (table.predicted <= 20).tolist()  # sqrt(400)
    wide = table[table.width == 32].set_index("depth")
    assert np.allclose(wide.predicted, [(1 + 5 / 32) ** 4 - 1, (1 + 5 / 32) ** 12 - 1])
    assert abs(wide.normalised_variance[4] / wide.predicted[4] - 1) < 0.3  # 400 draws of a heavy tail


def test_length_claim_fits_only_cells_the_draws_can_show():
    table = simulate.length_variance([4, 16, 64], [3, 6], 10)  # only the shapes matter below
    exact = table.assign(normalised_variance=table.predicted, draws=10**6, measurable=table.predicted <= 100)
    (row,) = CLAIMS.get("R8")({"lengths": exact})
    assert row["verdict"] == "reproduced" and "5 of 6 cells" in row["condition"]  # width 4, depth 6 predicts 129
    assert row["measured"] == pytest.approx(float(row["expected"].split("slope ")[1].split()[0]), abs=0.01)
    flat = exact.assign(normalised_variance=np.sqrt(exact.predicted))  # grows, at half the rate on log scale
    assert CLAIMS.get("R8")({"lengths": flat})[0]["verdict"] == "partly"
    assert CLAIMS.get("R8")({"lengths": exact.assign(measurable=False)}) == []


def test_activation_cost_is_relative_to_relu():
    cost = activation_cost({"relu": {"fn": "relu"}, "elu": {"fn": "elu"}}, shape=(4, 64, 64), rounds=3)
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
    table, status = evaluate({"runs": runs, "layers": pd.DataFrame({"run_id": []})},
                     {"claims": {"R6": {"experiments": ["e"]}, "S-bias": {"experiments": ["missing"]}}})
    assert table.claim_id.tolist() == ["R6"]
    assert status.set_index("claim").rows.to_dict() == {"R6": 1, "S-bias": 0}
    assert list(table.columns) == ["claim_id", "claim", "source", "condition", "expected", "measured", "ci_low",
                                   "ci_high", "n", "verdict"]


def uva_tables(profiles: dict):
    """Untrained nets: ``profiles`` maps (init, depth) to the per-layer dead fractions at epoch 0, 10 seeds each."""
    runs, layers = [], []
    for (init, depth), profile in profiles.items():
        per_seed = synthetic_runs({init: np.full(10, np.mean(profile))}, "init", "dead_init", {"depth": depth, "width": 256})
        per_seed["run_id"] = [f"{init}/{depth}/{seed}" for seed in per_seed.seed]
        runs.append(per_seed)
        for run_id, seed in zip(per_seed.run_id, per_seed.seed):
            noise = np.random.default_rng(seed).uniform(-0.005, 0.005, len(profile))
            layers += [dict(run_id=run_id, epoch=0, layer=i + 1, dead=max(v + e, 0.0)) for i, (v, e) in enumerate(zip(profile, noise))]
    return {"runs": pd.concat(runs, ignore_index=True), "layers": pd.DataFrame(layers)}


def test_default_init_claim_reads_the_untrained_layer_profile():
    deep = list(np.linspace(0.0, 0.55, 10))
    tables = uva_tables({("torch_default", 4): [0.0, 0.0, 0.012, 0.078], ("torch_default", 10): deep,
                         ("he", 10): [0.01] * 10})
    rows = {r["claim_id"]: r for r in CLAIMS.get("UvA")(tables)}
    assert rows["UvA-d4"]["measured"] == pytest.approx(0.078, abs=0.005) and rows["UvA-d4"]["verdict"] == "reproduced"
    assert rows["UvA-d10"]["verdict"] == "reproduced"
    assert rows["UvA-he"]["verdict"] == "reproduced" and rows["UvA-he"]["measured"] < 0
    flat = uva_tables({("torch_default", 4): [0.05] * 4})
    assert [r["verdict"] for r in CLAIMS.get("UvA")(flat)] == ["not reproduced"]


def test_claims_about_working_nets_see_only_trained_nets():
    runs = pd.concat([synthetic_runs({"relu": np.full(8, 0.02)}, extra={"lr": 0.01}),
                      synthetic_runs({"relu": np.full(8, 0.6)}, extra={"lr": 1.0, "outcome": "untrained"}),
                      synthetic_runs({"relu": np.full(8, 0.03)}, extra={"lr": 0.1})])
    table, _ = evaluate({"runs": runs, "layers": pd.DataFrame({"run_id": []})}, {"claims": {"R6": {"experiments": ["e"]}}})
    (r6,) = table.to_dict("records")
    assert r6["measured"] == pytest.approx(0.03) and r6["verdict"] == "partly", "the untrained nets' 60% is not counted"
    assert r6["condition"].endswith("trained nets only: 16 of 24 in its experiments (8 untrained, 0 diverged left out)")
    assert CLAIMS.get("R2").nets == "all" and CLAIMS.get("S-leak-revives").nets == "trained"


def revival_tables(relu_share, leaky_share):
    """8 seeds of relu and leaky_0.01; at the last probe half the units were ever inactive, ``share`` of those revived."""
    runs = synthetic_runs({"relu": np.zeros(8), "leaky_0.01": np.zeros(8)})
    layers = [dict(run_id=r.run_id, epoch=e, ever_inactive=0.5, ever_revived=0.5 * (relu_share if r.activation == "relu"
                                                                                  else leaky_share)[r.seed] * (e == 10))
              for r in runs.itertuples() for e in (0, 10)]
    return {"runs": runs, "layers": pd.DataFrame(layers)}


def test_leak_revival_claim_compares_with_relu_by_seed():
    rng = np.random.default_rng(0)
    relu = rng.uniform(0.0, 0.1, 8)
    (more,) = CLAIMS.get("S-leak-revives")(revival_tables(relu, relu + 0.3))
    assert more["claim_id"] == "S-leak-revives-leaky_0.01" and more["measured"] == pytest.approx(0.3)
    assert more["verdict"] == "reproduced" and more["n"] == 8
    (same,) = CLAIMS.get("S-leak-revives")(revival_tables(relu, relu - 0.05))
    assert same["verdict"] == "not reproduced"


def test_default_study_configures_every_registered_claim():
    import yaml
    from pathlib import Path

    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
    assert set(config["claims"]) == set(CLAIMS), "a registered claim missing from config.yaml never reaches the report"


def test_censored_slow_arm_is_described_truthfully():
    relu = np.full(8, 100.0)
    runs = pd.concat([synthetic_runs({"relu": relu}, "activation", "steps_to_target"),
                      synthetic_runs({"sigmoid": np.full(8, np.nan)}, "activation", "steps_to_target"),
                      synthetic_runs({"sigmoid": [500.0, 600.0] + [np.nan] * 6}, "activation", "steps_to_target", {"lr": 0.3})])
    (row,) = CLAIMS.get("R4")({"runs": runs})
    assert "every sigmoid seed is censored (over all lrs 2 of 16 runs reached the target)" in row["condition"]
