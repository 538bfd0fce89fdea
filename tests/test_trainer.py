"""The stacked trainer: stacking changes nothing, seeds decide everything, divergence stays
contained."""

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from deadunits import TrainSettings, load_dataset, load_model, save_stack, train_stack
from deadunits.stack import StackedMLP
from deadunits.trainer import OPTIMIZERS, Stepper


@pytest.fixture(scope="module")
def moons():
    return load_dataset({"fn": "moons", "n_samples": 400})


def run(data, lrs=(0.05,), seeds=(0,), activation="relu", epochs=3, **kw):
    kw.setdefault("target", {"metric": "error", "value": 0.2})
    settings = TrainSettings(epochs=epochs, batch_size=32, probe_size=128, **kw)
    return train_stack(
        data,
        depth=3,
        width=16,
        activation={"fn": activation},
        init={"fn": "he_normal"},
        lrs=lrs,
        seeds=seeds,
        settings=settings,
    )


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_model_in_a_stack_equals_model_alone(moons, optimizer):
    lr = 0.05 if optimizer == "sgd" else 0.005
    stack = run(moons, lrs=(lr / 2, lr), seeds=(0, 1, 2), optimizer=optimizer, activation="prelu")
    alone = run(moons, lrs=(lr,), seeds=(1,), optimizer=optimizer, activation="prelu")
    k = 4  # (lr, seed 1) is model 1 * 3 + 1
    for name, p in stack.model.state_dict().items():
        assert torch.allclose(p[k], alone.model.state_dict()[name][0], atol=1e-5), name
    columns = ["dead_final", "final_test_loss", "final_train_acc", "steps_to_target", "loss_auc"]
    got = stack.runs.loc[k, columns].astype(float).to_numpy()
    want = alone.runs.loc[0, columns].astype(float).to_numpy()
    assert got == pytest.approx(want, abs=1e-4, nan_ok=True)
    assert stack.runs.loc[k, ["lr", "seed"]].tolist() == [lr, 1]


def test_dead_on_the_whole_training_set_brute_force(moons):
    """400 training examples in chunks of 128 (the probe size): a unit is dead only if no example
    fires it."""
    result = run(moons, lrs=(0.05, 2.0), seeds=(0, 1), epochs=2)
    with torch.no_grad():
        _, hidden = result.model(moons.x_train, keep=True)
    dead = (
        torch.stack([(z <= 0).all(dim=-1) for z, _ in hidden]).float().mean(dim=(0, 2))
    )  # z: (K, units, inputs)
    assert result.runs.dead_final_full.tolist() == pytest.approx(dead.tolist())
    assert (result.runs.dead_final_full <= result.runs.dead_final).all(), (
        "the probe set is a subset of the training set"
    )
    assert result.runs.dead_final_full.max() > 0, (
        "lr 2.0 kills units, so the check has something to count"
    )
    assert result.runs.inactive_final_full.tolist() == result.runs.dead_final_full.tolist(), (
        "ReLU: inactive is dead"
    )
    leaky = run(moons, lrs=(0.05, 2.0), seeds=(0, 1), epochs=2, activation="leaky_relu")
    assert (leaky.runs.dead_final_full == 0).all() and (leaky.layers.dead == 0).all(), (
        "a leak always passes gradient"
    )
    assert leaky.layers.inactive.max() > 0, "but its units can be inactive"


def test_per_layer_widths_stack_and_count_units_over_the_whole_net(moons, tmp_path):
    """A tapered net (16-8-4): each model equals itself trained alone, shares of all hidden units
    weigh each layer by its width, and a saved stack loads back with its widths."""
    settings = TrainSettings(epochs=2, batch_size=32, probe_size=128)
    train = lambda seeds: train_stack(
        moons,
        depth=3,
        width=[16, 8, 4],
        activation={"fn": "relu"},  # noqa: E731
        init={"fn": "he_normal"},
        lrs=(2.0,),
        seeds=seeds,
        settings=settings,
    )
    stack, alone = train((0, 1)), train((1,))
    for name, p in stack.model.state_dict().items():
        assert torch.allclose(p[1], alone.model.state_dict()[name][0], atol=1e-5), name
    with torch.no_grad():
        _, hidden = stack.model(moons.x_train, keep=True)
    inactive = torch.cat([(z <= 0).all(dim=-1) for z, _ in hidden], dim=1).float().mean(dim=1)
    assert stack.runs.inactive_final_full.tolist() == pytest.approx(inactive.tolist())
    assert stack.runs.inactive_final_full.max() > 0, (
        "lr 2.0 kills units, so the weighting has something to weigh"
    )
    probed = stack.layers[stack.layers.epoch == 2]
    assert probed.units.tolist() == [16, 16, 8, 8, 4, 4]
    weighted = (probed.inactive * probed.units).groupby(probed.model).sum() / 28
    assert stack.runs.inactive_final.tolist() == pytest.approx(weighted.tolist())
    save_stack(tmp_path / "w.pt", stack.model, stack.initial_state, {})
    assert [
        m.out_features for m in load_model(tmp_path / "w.pt", 1) if isinstance(m, torch.nn.Linear)
    ] == [16, 8, 4, 2]


def test_same_seed_same_numbers_different_seed_different(moons):
    a, b, c = run(moons, seeds=(3,)), run(moons, seeds=(3,)), run(moons, seeds=(4,))
    for name in ("runs", "curves", "layers"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.runs.final_test_loss[0] != c.runs.final_test_loss[0]


def test_diverged_model_stops_and_leaves_the_others_alone():
    data = load_dataset({"fn": "abs1d", "n_train": 256, "n_test": 64})
    stack = run(data, lrs=(0.01, 50.0), seeds=(0,), target={"metric": "loss", "value": 0.01})
    alone = run(data, lrs=(0.01,), seeds=(0,), target={"metric": "loss", "value": 0.01})
    assert stack.runs.diverged.tolist() == [False, True]
    assert stack.runs.diverged_step[1] >= 0
    assert all(torch.isfinite(p).all() for p in stack.model.parameters()), (
        "a diverged model keeps its last finite weights"
    )
    for name, p in stack.model.state_dict().items():
        assert torch.allclose(p[0], alone.model.state_dict()[name][0], atol=1e-6), name
    assert not stack.curves[(stack.curves.model == 1) & (stack.curves.epoch == 3)].active.item()


def test_epoch_digest_of_a_known_trace():
    """end_epoch turns the steps' trace into the trackers: model 0 trains throughout and has one
    exploding step; model 1 goes non-finite at its second step and is masked from then on."""
    model = StackedMLP(2, 2, 1, 4, {"fn": "relu"}, 2)
    settings = TrainSettings(
        ema=0.0, target={"metric": "error", "value": 0.1}, explode_factor=100.0
    )
    stepper = Stepper(model, None, settings, init_grad=torch.ones(2, 2), regression=False)
    nan, yes, no = math.nan, True, False
    trace = [
        ([1.0, 1.0], [0.5, 0.5], [[1.0, 4.0], [1.0, 4.0]], [yes, yes]),
        ([2.0, nan], [0.05, 0.0], [[2.0, nan], [1.0, nan]], [yes, no]),
        ([3.0, nan], [0.0, 0.0], [[3.0, nan], [500.0, nan]], [yes, no]),
    ]
    stepper.trace = [tuple(torch.tensor(column) for column in step) for step in trace]
    stepper.step_count = len(trace)
    train_loss, train_err, grad_mean, grad_max = stepper.end_epoch()
    assert stepper.diverged_step.tolist() == [-1, 1]
    assert stepper.exploding_steps.tolist() == [1, 0]
    assert stepper.steps_to_target.tolist() == [2, -1], (
        "error 0.05 after step 2; model 1's zeros came after it stopped"
    )
    assert train_loss.tolist() == [2.0, 1.0] and train_err.tolist() == pytest.approx(
        [0.55 / 3, 0.5]
    )
    assert grad_mean.flatten().tolist() == pytest.approx([2.0, 4 / 3, 502 / 3, 4 / 3]), (
        "masked steps count as zero"
    )
    assert grad_max.tolist() == [[3.0, 4.0], [500.0, 4.0]]
    assert stepper.epochs_to_target.isnan().all() and stepper.trace == []


@pytest.mark.parametrize(
    "kind, hyper, reference",
    [
        ("sgd", {}, lambda p: torch.optim.SGD(p, lr=0.03, momentum=0.9)),
        (
            "sgd",
            {"weight_decay": 0.1, "momentum": 0.5},
            lambda p: torch.optim.SGD(p, lr=0.03, momentum=0.5, weight_decay=0.1),
        ),
        ("adam", {}, lambda p: torch.optim.Adam(p, lr=0.03)),
        (
            "adam",
            {"weight_decay": 0.1, "betas": (0.8, 0.99), "eps": 1e-6},
            lambda p: torch.optim.Adam(p, lr=0.03, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        ),
        ("adamw", {"weight_decay": 0.1}, lambda p: torch.optim.AdamW(p, lr=0.03, weight_decay=0.1)),
    ],
)
def test_stacked_optimizer_matches_torch_optim(kind, hyper, reference):
    gen = torch.Generator().manual_seed(0)
    start = torch.randn(2, 5, 3, generator=gen)
    ours, theirs = start.clone().requires_grad_(), start[1].clone().requires_grad_()
    settings = TrainSettings(optimizer=kind, **hyper)
    opt = OPTIMIZERS[kind]([ours], torch.tensor([0.1, 0.03]), settings)
    ref = reference([theirs])
    for _ in range(5):
        g = torch.randn(5, 3, generator=gen)
        # model 0 diverged: NaN grads, no update; the trainer scales each model's loss by
        # loss_weight
        ours.grad = torch.stack([torch.full_like(g, math.nan), g]) * opt.loss_weight.view(-1, 1, 1)
        theirs.grad = g.clone()
        opt.step(torch.tensor([False, True]))
        ref.step()
    assert torch.allclose(ours[1], theirs, atol=1e-6)
    assert torch.equal(ours[0], start[0])


def test_training_never_imports_dynamo():
    """torch.optim's step imports torch._dynamo, a start-up cost in every training job; the stacked
    optimizers do not."""
    code = (
        "import sys; from deadunits import load_dataset, train_stack, TrainSettings\n"
        "data = load_dataset({'fn': 'moons', 'n_samples': 100})\n"
        "for opt in ('sgd', 'adam'):\n"
        "    train_stack(data, depth=2, width=8, activation={'fn': 'relu'}, "
        "init={'fn': 'he_normal'}, lrs=[0.1],\n"
        "                seeds=[0], settings=TrainSettings(epochs=1, optimizer=opt))\n"
        "print('torch._dynamo' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert out.stdout.strip() == "False"


def test_target_is_censored_when_never_reached(moons):
    result = run(moons, target={"metric": "error", "value": -1.0})
    assert result.runs.steps_to_target.isna().all() and result.runs.epochs_to_target.isna().all()
    easy = run(moons, target={"metric": "error", "value": 0.5})
    assert (easy.runs.epochs_to_target >= 1).all() and (easy.runs.steps_to_target >= 1).all()


def test_tables_have_one_row_per_model_epoch_and_layer(moons):
    result = run(moons, lrs=(0.01, 0.1), seeds=(0, 1), epochs=2)
    assert len(result.runs) == 4 and len(result.curves) == 4 * 3 and len(result.layers) == 4 * 3 * 3
    layers = result.layers
    assert (
        (layers.inactive_since_init + layers.became_inactive - layers.inactive).abs() < 1e-6
    ).all(), "inactive units were inactive since init or became inactive"
    assert (layers[layers.epoch == 0].revived == 0).all()
    assert (result.layers.grad_norm_mean > 0).all()
    n_train, n_test = (
        len(moons.x_train),
        len(moons.x_test),
    )  # the benchmark's bounds count these examples
    assert (
        result.timing["probe_examples"] == (n_train + n_test) * 2 + 128 + n_test
    )  # whole set at init and end
    assert min(result.timing[k] for k in ("train_s", "probe_s", "validate_s", "setup_s")) > 0


def test_saved_stack_loads_as_plain_sequential(moons, tmp_path):
    result = run(moons, seeds=(0, 1, 2), activation="prelu")
    path = tmp_path / "weights.pt"
    save_stack(path, result.model, result.initial_state, {"seeds": [0, 1, 2]})
    net = load_model(path, 2)
    assert isinstance(net, torch.nn.Sequential) and isinstance(net[0], torch.nn.Linear)
    x = moons.x_test[:10]
    assert torch.allclose(net(x), result.model(x)[2].T, atol=1e-6)
    first = load_model(path, 2, which="initial")
    assert not torch.allclose(first(x), net(x))
    with pytest.raises(IndexError, match="model index 3 out of range"):
        load_model(path, 3)
    saved = torch.load(path, weights_only=True)
    del saved["layout"]  # as an older deadunits saved it: weights (models, in, out)
    torch.save(saved, path)
    with pytest.raises(ValueError, match="saved by an older deadunits"):
        load_model(path, 0)


def test_bad_settings_fail_before_training(moons):
    with pytest.raises(ValueError, match="optimizer 'rmsprop'"):
        TrainSettings(optimizer="rmsprop")
    with pytest.raises(ValueError, match="learning rate -0.1 must be > 0"):
        run(moons, lrs=(-0.1,))
    with pytest.raises(ValueError, match="epochs = 0"):
        TrainSettings(epochs=0)


def test_probe_schedule_is_log_spaced_with_init_and_last_epoch():
    assert TrainSettings(epochs=10).probe_schedule() == [0, 1, 2, 4, 8, 10]
    assert TrainSettings(epochs=16).probe_schedule() == [0, 1, 2, 4, 8, 16]
    assert TrainSettings(epochs=100).probe_schedule() == [0, 1, 2, 4, 8, 16, 32, 64, 100]
    assert TrainSettings(epochs=3, probe_epochs="all").probe_schedule() == [0, 1, 2, 3]
    assert TrainSettings(epochs=10, probe_epochs=[5]).probe_schedule() == [0, 5, 10]
    with pytest.raises(
        ValueError,
        match=r"probe_epochs = \[12\]; expected 'log', 'all' or a list of epochs between 0 and 10",
    ):
        TrainSettings(epochs=10, probe_epochs=[12])


def test_probed_epochs_match_probing_every_epoch(moons):
    sparse = run(moons, lrs=(0.05, 0.5), seeds=(0, 1), epochs=5, probe_epochs=[2])
    every = run(moons, lrs=(0.05, 0.5), seeds=(0, 1), epochs=5, probe_epochs="all")
    assert sorted(sparse.curves.epoch.unique()) == [0, 2, 5] and sorted(
        sparse.layers.epoch.unique()
    ) == [0, 2, 5]
    for name in ("curves", "layers"):
        want = getattr(every, name)
        want = want[want.epoch.isin([0, 2, 5])].reset_index(drop=True)
        histories = ["revived", "ever_revived", "ever_inactive"]
        pd.testing.assert_frame_equal(
            getattr(sparse, name).drop(columns=histories, errors="ignore"),
            want.drop(columns=histories, errors="ignore"),
        )
    histories = [
        "revived_final",
        "ever_revived_final",
        "ever_inactive_final",
    ]  # they see only the probed epochs
    pd.testing.assert_frame_equal(
        sparse.runs.drop(columns=histories), every.runs.drop(columns=histories)
    )
    assert (
        sparse.timing["probe_examples"] < every.timing["probe_examples"]
    )  # the work, not a timing


def test_run_outcomes_and_summary_use_trained_nets_only():
    from deadunits.outcomes import run_outcomes
    from deadunits.summary import summary_table

    outcome = run_outcomes(
        np.array([False, False, True]),
        [0.1, 2.3, np.nan],
        np.array([0.05, 0.85, np.nan]),
        (np.nan, 0.9),
    )
    assert outcome.tolist() == [
        "trained",
        "untrained",
        "diverged",
    ]  # 0.85 >= 0.9 x 0.9: no better than chance
    regression = run_outcomes(
        np.array([False, False]), [0.1, 0.56], [np.nan, np.nan], (0.6, np.nan)
    )
    assert regression.tolist() == ["trained", "untrained"]  # 0.56 >= 0.9 x variance 0.6
    runs = pd.DataFrame(
        dict(
            experiment="e",
            dataset="d",
            activation="relu",
            init="he",
            depth=2,
            width=4,
            layer_widths="4x2",
            norm="none",
            residual="plain",
            variant="none",
            intervention="none",
            optimizer="sgd",
            lr=[0.1] * 4 + [1.0] * 2,
            seed=[0, 1, 2, 3, 0, 1],
            outcome=["trained", "trained", "untrained", "diverged", "diverged", "untrained"],
            final_train_acc=[0.9, 0.8, 0.1, np.nan, np.nan, 0.1],
        )
    )
    from deadunits.summary import SUMMARY_METRICS

    runs = runs.assign(
        **{m: 0.5 for m in SUMMARY_METRICS if m != "final_train_acc"},
        budget_steps=100,
        budget_epochs=10,
        steps_to_target=[20.0, 30.0, np.nan, np.nan, np.nan, np.nan],
        epochs_to_target=np.nan,
    )
    table = summary_table(runs).set_index("lr")
    assert (
        table.loc[0.1, "n_censored"] == 2 and table.loc[0.1, "steps_to_target_km_median"] == 30
    ), (
        "Kaplan-Meier over all runs of the cell: the untrained and diverged ones are censored, "
        "not dropped"
    )
    assert np.isinf(table.loc[1.0, "steps_to_target_km_median"]), (
        "no run reached the target: beyond the budget"
    )
    assert table.loc[0.1, ["n", "n_untrained", "n_diverged"]].tolist() == [2, 1, 1]
    assert table.loc[0.1, "final_train_acc_mean"] == pytest.approx(0.85), (
        "the mean is over the trained runs only"
    )
    assert table.loc[1.0, ["n", "n_untrained", "n_diverged"]].tolist() == [0, 1, 1]
    assert np.isnan(table.loc[1.0, "final_train_acc_mean"]), "no trained run: no number"


def test_validation_budget_and_whole_set_columns(moons):
    result = run(moons, lrs=(0.05, 0.5), seeds=(0, 1), epochs=4)
    runs, layers = result.runs, result.layers
    steps_per_epoch = math.ceil(len(moons.x_train) / 32)
    assert (runs.budget_steps == 4 * steps_per_epoch).all() and (runs.budget_epochs == 4).all()
    assert (
        runs.final_val_acc.between(0, 1).all() and (runs.val_epochs_to_target.dropna() <= 4).all()
    )
    reached = runs.val_epochs_to_target.notna()
    assert (runs.final_val_acc[reached] >= 0.5).all(), (
        "a model that met the 20% error target on validation is not at chance"
    )
    whole = (
        layers[layers.epoch.isin([0, 4])]
        .groupby(["epoch", "model"])[["inactive_full", "dead_full"]]
        .mean()
    )
    assert np.allclose(whole.loc[0].inactive_full, runs.inactive_init_full)
    assert np.allclose(whole.loc[4].dead_full, runs.dead_final_full)
    assert layers[~layers.epoch.isin([0, 4])].inactive_full.isna().all(), (
        "the whole set is read at init and at the end only"
    )
