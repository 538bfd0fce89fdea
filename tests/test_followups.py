"""Unit surgery (kill, re-initialise, ablate) and the follow-up experiments built on it."""

import pandas as pd
import pytest
import torch

from deadunits import followups, surgery
from deadunits.datasets import load_dataset
from deadunits.stack import StackedMLP
from deadunits.trainer import TrainSettings, train_stack

RELU, HE = {"fn": "relu"}, {"fn": "he_normal"}


@pytest.fixture(scope="module")
def data():
    return load_dataset({"fn": "digits"})


def stack(data, seeds=(0, 1, 2)):
    model = StackedMLP(data.in_dim, data.out_dim, 3, 16, RELU, len(seeds))
    model.initialise(HE, seeds)
    return model


def test_killed_units_are_inactive_on_every_input_and_only_they_change(data):
    model = stack(data)
    before = surgery.pre_activations(model, data.x_train)[0]
    killed = surgery.kill(model, data.x_train, 0.25, [0, 1, 2])
    assert all(int(k.sum()) == 3 * 4 for k in killed), "a quarter of 16 units per model and layer"
    inactive = surgery.never_active(model, data.x_train)
    assert all((i | ~k).all() for i, k in zip(inactive, killed)), "every killed unit is inactive"
    after = surgery.pre_activations(model, data.x_train)[0]
    assert torch.equal(after[~killed[0]], before[~killed[0]]), (
        "the first layer's other units are as before"
    )


def test_reinitialising_units_keeps_the_function_and_revives_them(data):
    model = stack(data)
    killed = surgery.kill(model, data.x_train, 0.5, [0, 1, 2])
    with torch.no_grad():
        out = model(data.x_train)
    surgery.reinit(model, killed, HE, [0, 1, 2])
    with torch.no_grad():
        assert torch.allclose(model(data.x_train), out, atol=1e-5), "outgoing weights start at zero"
    revived = [k & ~i for k, i in zip(killed, surgery.never_active(model, data.x_train))]
    assert sum(int(r.sum()) for r in revived) > 0.8 * sum(int(k.sum()) for k in killed)


def test_ablating_units_dead_on_a_set_leaves_the_outputs_on_it(data):
    model = stack(data)
    surgery.kill(model, data.x_train, 0.25, [0, 1, 2])
    dead = surgery.never_active(model, data.x_train)
    with torch.no_grad():
        out = model(data.x_train)
        surgery.ablate(model, dead)
        assert torch.allclose(model(data.x_train), out, atol=1e-5)


def test_training_on_from_a_start_state_is_training_from_it(data):
    settings = TrainSettings(epochs=1, probe_size=64)
    first = train_stack(
        data,
        depth=2,
        width=8,
        activation=RELU,
        init=HE,
        lrs=[0.05],
        seeds=[0, 1],
        settings=settings,
    )
    moved = train_stack(
        data,
        depth=2,
        width=8,
        activation=RELU,
        init={"fn": "xavier_normal"},
        lrs=[0.05],
        seeds=[0, 1],
        settings=settings,
        start=first.initial_state,
    )
    assert torch.equal(moved.model.weights[0], first.model.weights[0]), (
        "the start state replaces the init"
    )


def test_revival_and_dead_cost_tables(data):
    settings = {"probe_size": 64}
    spec = dict(depth=2, width=16, lr=0.01, epochs=[1, 1], kill_share=0.5, seeds=2)
    acts = {"relu": RELU, "leaky_0.1": {"fn": "leaky_relu", "negative_slope": 0.1}}
    revival = followups.revival(data, spec, acts, HE, settings)
    assert len(revival) == 4 and revival.revived.between(0, 1).all() and (revival.killed > 0).all()
    spec = dict(depth=2, width=16, optimizer="sgd", lr=0.5, epochs=1, seeds=2)
    cost = pd.concat(
        [
            followups.ablation(data, spec, RELU, HE, settings),
            followups.recovery(data, dict(spec, then={"lr": 0.01}), RELU, HE, settings),
        ]
    )
    ablate = cost[cost.setup == "ablate"]
    assert (ablate.ablated_train_error == ablate.train_error).all(), (
        "a ReLU unit dead on the set does nothing there"
    )
    assert {"as_is_train_error", "reinit_train_error", "reinit_dead", "narrow_test_error"} <= set(
        cost.columns
    )
    assert (ablate.narrow_width <= 16).all(), "as wide as the live units"
