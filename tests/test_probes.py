"""Probe fractions against brute-force loops, on hand-built networks and random layers."""

import math

import pytest
import torch

from deadunits import StackedMLP, probes
from deadunits.activations import build_activation


def brute_force(z, h, dphi, threshold=1e-3, tau=0.1):
    """The definitions of docs/metrics.md, unit by unit, with Python loops; tensors are
    (models, units, inputs)."""
    k, w, p = z.shape
    out = {"inactive": [], "dead": [], "dormant": []}
    for m in range(k):
        inactive = dead = dormant = 0
        means = [sum(abs(float(h[m, j, i])) for i in range(p)) / p for j in range(w)]
        layer_mean = sum(means) / w
        for j in range(w):
            inactive += all(float(z[m, j, i]) <= 0 for i in range(p))
            dead += all(abs(float(dphi[m, j, i])) < threshold for i in range(p))
            dormant += means[j] <= tau * layer_mean
        for name, count in zip(out, (inactive, dead, dormant)):
            out[name].append(count / w)
    return {name: torch.tensor(v) for name, v in out.items()}


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "tanh", "sigmoid", "elu"])
def test_layer_stats_match_brute_force(name):
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(3, 12, 20, generator=gen) * 4  # 3 models, 12 units, 20 inputs
    z[:, :4] = -z[:, :4].abs() - 0.5  # four units negative everywhere
    z[0, 4] = 30.0  # saturates tanh/sigmoid
    act = build_activation({"fn": name})
    h, dphi = act(z), probes.derivative(act, z)
    stats = probes.layer_stats(z, h, dphi)
    expected = brute_force(z, h, dphi)
    for key in expected:
        assert torch.allclose(stats[key], expected[key]), key
    assert torch.allclose(
        stats["bias_shift"], h.mean(2).median(1).values
    )  # median over units of unit means
    flat = h.double().reshape(3, -1)
    assert torch.allclose(stats["act_mean"].double(), flat.mean(1), rtol=1e-5, atol=1e-6)
    assert torch.allclose(stats["act_std"].double(), flat.std(1, correction=0), rtol=1e-4)
    assert torch.allclose(
        stats["act_sq_length"].double(), h.double().pow(2).sum(1).mean(1), rtol=1e-4
    )
    assert torch.allclose(stats["sparsity"], (h == 0).float().mean((1, 2)))


def hand_built_net():
    """Two models, 2 inputs, two hidden layers of 4 ReLU units; which units are dead is known by
    construction.

    Weights are stored (model, out, in), as nn.Linear's: ``w[:, j]`` feeds unit j."""
    net = StackedMLP(2, 1, depth=2, width=4, activation={"fn": "relu"}, n_models=2)
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        w1, b1 = net.weights[0], net.biases[0]
        w1[:, 0] = torch.tensor([1.0, 0.0])
        b1[:, 0] = 5.0  # alive: x0 + 5 > 0 for |x0| < 5
        b1[:, 1] = -1.0  # dead: constant -1
        w1[:, 2] = torch.tensor([0.0, 1.0])  # alive half the time
        b1[:, 3] = 2.0  # alive, constant
        b1[1, 0] = -10.0  # model 1: unit 0 dead too
        net.weights[1][0, :, 0] = (
            1.0  # model 0, layer 2: every unit reads unit 0 (positive) -> alive
        )
        net.biases[1][
            1
        ] = -1.0  # model 1, layer 2: all units dead -> the network's output is constant
        net.weights[2][:, 0, :] = 1.0
    return net


def test_hand_built_network_dead_fractions_and_collapse():
    x = torch.rand(64, 2) * 4 - 2
    out, hidden = hand_built_net()(x, keep=True)
    dead1 = probes.inactive_units(hidden[0][0])
    assert dead1.tolist() == [[False, True, False, False], [True, True, False, False]]
    assert probes.inactive_units(hidden[1][0]).float().mean(1).tolist() == [0.0, 1.0]
    assert probes.collapsed(out).tolist() == [False, True]
    act = build_activation({"fn": "relu"})
    assert (
        probes.dead_units(probes.derivative(act, hidden[0][0])).tolist() == dead1.tolist()
    )  # ReLU: inactive is dead


def test_sparsity_counts_exact_zeros_not_dead_units():
    z = torch.tensor(
        [[[1.0, -1.0], [-1.0, -2.0]]]
    )  # (1 model, 2 units, 2 inputs): unit 0 alive on one, unit 1 dead
    stats = probes.layer_stats(z, torch.relu(z), (z > 0).float())
    assert stats["sparsity"].item() == 0.75 and stats["inactive"].item() == 0.5


def test_born_dead_frequency_matches_theory():
    """Lu et al. 2020: width N, L layers, zero bias, symmetric weights: dead at a fixed input w.p.
    1-(1-2^-N)^L."""
    n_models, width, depth = 2000, 3, 10
    net = StackedMLP(2, 1, depth, width, {"fn": "relu"}, n_models)
    net.initialise({"fn": "he_normal"}, range(n_models))
    with torch.no_grad():
        _, hidden = net(torch.tensor([[0.7, -0.3]]), keep=True)
    dead_layer = torch.stack([probes.inactive_units(z).all(1) for z, _ in hidden]).any(0)
    p_hat = dead_layer.float().mean().item()
    p = 1 - (1 - 2.0**-width) ** depth
    se = math.sqrt(p * (1 - p) / n_models)
    assert abs(p_hat - p) < 3 * se, (p_hat, p)


def test_inactive_includes_a_pre_activation_of_exactly_zero():
    z = torch.zeros(1, 2, 4)
    z[0, 1, 2] = 1e-7  # one input where the second unit is just active
    assert probes.inactive_units(z).tolist() == [[True, False]]


@pytest.mark.parametrize(
    "name, z, dead",
    [
        ("relu", -1.0, True),
        ("relu", 1e-6, False),
        ("sigmoid", -8.0, True),
        ("sigmoid", -6.0, False),  # sigma' = 3.4e-4 and 2.5e-3
        ("elu", math.log(0.9e-3), True),
        ("elu", math.log(1.1e-3), False),
    ],
)  # elu' = e^z below 0
def test_dead_is_phi_prime_under_the_threshold_on_every_input(name, z, dead):
    act = build_activation({"fn": name}, 1, 1)
    dphi = probes.derivative(act, torch.full((1, 1, 3), z))
    assert probes.dead_units(dphi, 1e-3).item() is dead


def test_layer_stats_use_the_dead_threshold_they_are_given():
    dphi = torch.tensor([[[0.5e-3, 0.2e-3], [2e-3, 0.0]]])  # unit 1: max 0.5e-3; unit 2: max 2e-3
    z = h = torch.ones_like(dphi)
    assert probes.layer_stats(z, h, dphi, dead_threshold=1e-3)["dead"].item() == 0.5


def test_dormant_at_exactly_tau_and_for_an_all_zero_layer():
    h = torch.tensor([[[1.0], [1.0], [0.2]]])  # scores 1, 1, 0.2: layer mean 2.2 / 3
    tau = 0.2 / (2.2 / 3)  # the third unit's score is exactly tau times the layer mean
    assert probes.dormant_units(h, tau).tolist() == [[False, False, True]]
    assert probes.dormant_units(torch.zeros(1, 3, 2), 0.1).all(), "an all-zero layer is all dormant"
