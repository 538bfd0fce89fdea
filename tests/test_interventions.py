"""ReDo and shrink-and-perturb: exactly the units they name change, as specified, and a model gets
the same intervention in a stack as alone."""

import pytest
import torch

from deadunits import TrainSettings, load_dataset, train_stack
from deadunits.interventions import dormant_units, fresh_draw, redo, shrink_perturb
from deadunits.optimizers import StackedAdam, StackedSGD
from deadunits.stack import StackedMLP

HE = {"fn": "he_normal"}


def stack_with_dead_units():
    """Two models of 3 hidden layers of 8; model 0's first layer has units 2 and 5 silenced by a
    large negative bias; both have momentum from one SGD step."""
    model = StackedMLP(4, 3, depth=3, width=8, activation={"fn": "relu"}, n_models=2)
    model.initialise(HE, [0, 1])
    with torch.no_grad():
        model.biases[0][0, [2, 5]] = -100.0
    x = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
    optimizer = StackedSGD(model.parameters(), torch.tensor([0.1, 0.1]), TrainSettings())
    model(x).sum().backward()
    optimizer.step(torch.tensor([True, True]))
    return model, optimizer, x


def test_redo_recycles_exactly_the_units_at_or_below_tau():
    model, optimizer, x = stack_with_dead_units()
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    momentum = [b.clone() for b in optimizer.buffers]
    dormant = dormant_units(model, x, tau=0.0)
    assert dormant[0][0].nonzero().flatten().tolist() == [2, 5]
    recycled = redo(model, optimizer, x, HE, seeds=[0, 1], step=7, active=torch.tensor([1, 1]) > 0)
    assert recycled.tolist() == [[int(d[k].sum()) for k in range(2)] for d in dormant]
    fresh = fresh_draw(model, HE, seed=0, step=7)
    units = dormant[0][0]
    w_in, b_in, w_out = model.weights[0][0], model.biases[0][0], model.weights[1][0]
    assert torch.equal(w_in[units], fresh[0][0][units]) and torch.equal(
        b_in[units], fresh[0][1][units]
    )
    assert torch.equal(w_out[:, units], torch.zeros(8, 2))
    changed = {  # every other weight of both models stays as it was
        name: (p.detach() != before[name]) for name, p in model.named_parameters()
    }
    expected = {name: torch.zeros_like(m) for name, m in changed.items()}
    for layer, d in enumerate(dormant):
        for k in range(2):
            expected[f"weights.{layer}"][k, d[k]] = True
            expected[f"biases.{layer}"][k, d[k]] = True
            expected[f"weights.{layer + 1}"][k][:, d[k]] = True
    for name in changed:  # a recycled weight may by chance equal its old value: a subset check
        assert not (changed[name] & ~expected[name]).any(), name
    assert changed["weights.0"][0, 2].all() and changed["weights.1"][0][:, 5].any()
    assert (optimizer.buffers[0][0, units] == 0).all() and (
        optimizer.buffers[1][0][:, units] == 0
    ).all()
    assert torch.equal(optimizer.buffers[0][1], momentum[0][1]), "model 1's momentum is kept"


def test_redo_clears_adam_moments_of_recycled_units_only():
    model, _, x = stack_with_dead_units()
    adam = StackedAdam(model.parameters(), torch.tensor([0.1, 0.1]), TrainSettings())
    model.zero_grad()
    model(x).sum().backward()
    adam.step(torch.tensor([True, True]))
    kept = adam.first[0][0, 0].clone()
    redo(model, adam, x, HE, seeds=[0, 1], step=3, active=torch.tensor([True, True]))
    assert (adam.first[0][0, [2, 5]] == 0).all() and (adam.second[0][0, [2, 5]] == 0).all()
    assert torch.equal(adam.first[0][0, 0], kept)


def test_a_stopped_model_is_not_recycled():
    model, optimizer, x = stack_with_dead_units()
    before = model.weights[0].detach().clone()
    recycled = redo(model, optimizer, x, HE, [0, 1], 7, active=torch.tensor([False, True]))
    assert recycled[:, 0].sum() == 0 and torch.equal(model.weights[0][0], before[0])


def test_shrink_and_perturb_moves_every_weight_as_specified():
    model, optimizer, x = stack_with_dead_units()
    before = [p.detach().clone() for p in list(model.weights) + list(model.biases)]
    recycled = shrink_perturb(
        model, optimizer, x, HE, [0, 1], 9, torch.tensor([True, True]), shrink=0.5, noise=0.1
    )
    assert recycled.sum() == 0
    for k, seed in enumerate([0, 1]):
        fresh = fresh_draw(model, HE, seed, 9)
        for layer, (fw, fb) in enumerate(fresh):
            assert torch.allclose(model.weights[layer][k], 0.5 * before[layer][k] + 0.1 * fw)
            assert torch.allclose(model.biases[layer][k], 0.5 * before[4 + layer][k] + 0.1 * fb)


@pytest.mark.parametrize(
    "intervention",
    [
        {"fn": "redo", "every": 5, "tau": 0.1},
        {"fn": "shrink_perturb", "every": 7, "shrink": 0.9, "noise": 0.05},
    ],
)
def test_an_intervened_model_in_a_stack_equals_it_alone(intervention):
    data = load_dataset({"fn": "moons", "n_samples": 400})

    def run(lrs, seeds):
        settings = TrainSettings(epochs=3, batch_size=32, probe_size=128, intervention=intervention)
        return train_stack(
            data,
            depth=3,
            width=16,
            activation={"fn": "relu"},
            init=HE,
            lrs=lrs,
            seeds=seeds,
            settings=settings,
        )

    stack, alone = run((0.1, 0.3), (0, 1)), run((0.3,), (1,))
    k = 3  # (lr 0.3, seed 1)
    for name, p in stack.model.state_dict().items():
        assert torch.allclose(p[k], alone.model.state_dict()[name][0], atol=1e-5), name
    got = stack.layers[stack.layers.model == k].recycled.tolist()
    assert got == alone.layers.recycled.tolist()
    if intervention["fn"] == "redo":
        assert stack.layers.recycled.sum() > 0, "some units fall dormant: ReDo recycles them"


def test_an_unknown_intervention_or_option_fails_before_training():
    with pytest.raises(ValueError, match="expected fn one of"):
        TrainSettings(intervention={"fn": "reset", "every": 5})
    data = load_dataset({"fn": "moons", "n_samples": 100})
    with pytest.raises(TypeError, match="takes no argument 'tua'"):
        train_stack(
            data,
            depth=2,
            width=4,
            activation={"fn": "relu"},
            init=HE,
            lrs=[0.1],
            seeds=[0],
            settings=TrainSettings(epochs=1, intervention={"fn": "redo", "every": 1, "tua": 0}),
        )
