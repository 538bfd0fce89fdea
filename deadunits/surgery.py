"""Edits of a trained stack's units, for the experiments that ask what a dead unit is worth: find
the units that never fire on a set of inputs, kill chosen units, re-initialise dead ones, or ablate
them. Each works on every model of a ``StackedMLP`` at once, in place."""

import torch

from deadunits import probes
from deadunits.inits import build_init
from deadunits.stack import model_generators


def pre_activations(model, x, chunk: int = 512):
    """Each hidden layer's pre-activations (K, units, n) on all of ``x``, a chunk of inputs at a
    time."""
    layers = None
    with torch.no_grad():
        for start in range(0, len(x), chunk):
            _, hidden = model(x[start : start + chunk], keep=True)
            zs = [z for z, _ in hidden]
            layers = (
                zs if layers is None else [torch.cat([a, z], dim=-1) for a, z in zip(layers, zs)]
            )
    return layers


def never_active(model, x) -> list:
    """Per hidden layer a (K, units) mask: pre-activation <= 0 on every input of ``x`` (inactive;
    for ReLU, dead)."""
    return [probes.inactive_units(z) for z in pre_activations(model, x)]


def kill(model, x, share: float, seeds) -> list:
    """Kill a random ``share`` of each hidden layer's units per model (drawn from its seed): lower
    the bias until the pre-activation is below 0 on every input of ``x``, by a margin of one
    standard deviation. Layers are edited first to last, each measured on the already-edited net.
    Returns the killed (K, units) masks."""
    killed = []
    for layer, width in enumerate(model.widths):
        chosen = torch.zeros(model.n_models, width, dtype=torch.bool)
        for k, seed in enumerate(seeds):
            generator = torch.Generator().manual_seed(int(seed) + 7919 * (layer + 1))
            chosen[k, torch.randperm(width, generator=generator)[: round(share * width)]] = True
        z = pre_activations(model, x)[layer]
        shift = z.amax(dim=-1) + z.std(dim=-1)
        with torch.no_grad():
            model.biases[layer].sub_(torch.where(chosen.to(shift.device), shift, 0.0))
        killed.append(chosen.to(shift.device))
    return killed


def reinit(model, masks, init: dict, seeds) -> None:
    """Give the units in ``masks`` fresh incoming weights and bias from ``init`` (a generator per
    model, apart from its training seed's) and zero their outgoing weights, as ReDo recycles."""
    fill = build_init(init)
    with torch.no_grad():
        for layer, mask in enumerate(masks):
            w, b = model.weights[layer], model.biases[layer]
            for k, seed in enumerate(seeds):
                fresh_w, fresh_b = torch.empty_like(w[k]), torch.empty_like(b[k])
                fill(fresh_w, fresh_b, model_generators(int(seed) + 1_000_003)[0])
                rows = mask[k]
                w[k][rows], b[k][rows] = fresh_w[rows], fresh_b[rows]
            model.weights[layer + 1].masked_fill_(mask.unsqueeze(1), 0.0)


def ablate(model, masks) -> None:
    """Silence the units in ``masks``: zero their outgoing weights."""
    with torch.no_grad():
        for layer, mask in enumerate(masks):
            model.weights[layer + 1].masked_fill_(mask.unsqueeze(1), 0.0)
