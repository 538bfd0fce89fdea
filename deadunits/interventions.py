"""Interventions during training that bring units back: ReDo (Sokar et al. 2023) recycles dormant
units; shrink-and-perturb (Ash & Adams 2020) shrinks every weight and adds fresh init noise.

Each draws its fresh weights from the cell's init with a generator of the model's seed and the step
alone, and reads only the model's own weights and the fixed probe set, so a model gets the same
intervention in a stack as alone. Each returns the units it recycled, (hidden layers, models).
"""

import numpy as np
import torch

from deadunits import probes
from deadunits.inits import build_init
from deadunits.registry import Registry

INTERVENTIONS = Registry("intervention")
GIVEN = ("model", "optimizer", "x", "init", "seeds", "step", "active")  # by the trainer


def options_of(spec: dict) -> dict:
    """An intervention entry's own options (``tau``, ``shrink``, ...), checked against its
    function: an unknown one fails before any training."""
    options = {k: v for k, v in spec.items() if k not in ("fn", "every")}
    INTERVENTIONS.check_kwargs(spec["fn"], options, skip=GIVEN)
    return options


def fresh_draw(model, init: dict, seed: int, step: int) -> list:
    """A new init draw of every layer of one model, ``[(weight (out, in), bias (out,)), ...]`` on
    the model's device, from a generator of ``seed`` and ``step`` only."""
    state = np.random.SeedSequence([int(seed), int(step)]).generate_state(1, dtype=np.uint64)
    generator, fill = torch.Generator("cpu").manual_seed(int(state[0])), build_init(init)
    layers = []
    for w, b in zip(model.weights, model.biases):
        weight, bias = torch.empty(w.shape[1:]), torch.empty(b.shape[1:])
        fill(weight, bias, generator)
        layers.append((weight.to(w.device), bias.to(b.device)))
    return layers


def dormant_units(model, x, tau: float) -> list:
    """Per hidden layer, (K, units) True where a unit's mean |activation| over ``x`` is at most
    ``tau`` times its layer's mean (docs/metrics.md, "dormant")."""
    training = model.training
    model.eval()  # BatchNorm: its running statistics, as the net predicts
    with torch.no_grad():
        _, hidden = model(x, keep=True)
    model.train(training)
    return [probes.dormant_units(h, tau) for _, h in hidden]


@INTERVENTIONS.register("redo")
def redo(model, optimizer, x, init, seeds, step, active, tau: float = 0.0):
    """Recycle every dormant unit (score at most ``tau``) of each active model: fresh incoming
    weights and bias from the init, zero outgoing weights, and its optimizer state cleared."""
    dormant = dormant_units(model, x, tau)
    recycled = torch.zeros(len(dormant), model.n_models, dtype=torch.long)
    with torch.no_grad():
        for k in torch.nonzero(active).flatten().tolist():
            if not any(bool(d[k].any()) for d in dormant):
                continue
            fresh = fresh_draw(model, init, seeds[k], step)
            for layer, units in enumerate(d[k] for d in dormant):  # incoming first, then
                w_in, b_in = model.weights[layer], model.biases[layer]  # outgoing: a recycled
                w_in[k, units] = fresh[layer][0][units]  # unit's output weights stay zero even
                b_in[k, units] = fresh[layer][1][units]  # into a recycled unit of the next layer
                optimizer.clear_state(w_in, (k, units))
                optimizer.clear_state(b_in, (k, units))
                recycled[layer, k] = int(units.sum())
            for layer, units in enumerate(d[k] for d in dormant):
                model.weights[layer + 1][k][:, units] = 0.0
                optimizer.clear_state(model.weights[layer + 1], (k, slice(None), units))
    return recycled


@INTERVENTIONS.register("shrink_perturb")
def shrink_perturb(model, optimizer, x, init, seeds, step, active, shrink=0.8, noise=0.01):
    """Every weight and bias of each active model becomes ``shrink`` times itself plus ``noise``
    times a fresh init draw; no unit counts as recycled."""
    with torch.no_grad():
        for k in torch.nonzero(active).flatten().tolist():
            fresh = fresh_draw(model, init, seeds[k], step)
            for (w, b), (fw, fb) in zip(zip(model.weights, model.biases), fresh):
                w[k] = shrink * w[k] + noise * fw
                b[k] = shrink * b[k] + noise * fb
    return torch.zeros(len(model.acts), model.n_models, dtype=torch.long)
