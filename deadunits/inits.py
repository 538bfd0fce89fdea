"""Initialisation registry: always explicit, because PyTorch's default Linear init is not He init.

An entry fills one model's ``weight`` (out, in) and ``bias`` (out,) in place from a generator, so
that a model initialised inside a stack is the same as the model initialised alone with its seed.
Config entries may add ``scale`` (multiplies the weights: poor init on purpose) and ``bias`` (a
constant bias, e.g. 0.1 to push ReLUs to their active side).
"""

import math

import torch
from torch.nn import init as nn_init

from deadunits.registry import Registry

INITS = Registry("init")
initializer = INITS.register


def _zero_bias(fill_weight):
    def fill(weight, bias, generator):
        fill_weight(weight, generator)
        bias.zero_()

    return fill


INITS.update(
    he_normal=lambda: _zero_bias(
        lambda w, g: nn_init.kaiming_normal_(w, nonlinearity="relu", generator=g)
    ),
    he_uniform=lambda: _zero_bias(
        lambda w, g: nn_init.kaiming_uniform_(w, nonlinearity="relu", generator=g)
    ),
    xavier_normal=lambda: _zero_bias(lambda w, g: nn_init.xavier_normal_(w, generator=g)),
    xavier_uniform=lambda: _zero_bias(lambda w, g: nn_init.xavier_uniform_(w, generator=g)),
    lecun_normal=lambda: _zero_bias(
        lambda w, g: nn_init.normal_(w, 0.0, 1 / math.sqrt(w.shape[1]), generator=g)
    ),
    orthogonal=lambda gain=1.0: _zero_bias(lambda w, g: nn_init.orthogonal_(w, gain, generator=g)),
)


@initializer("torch_default")
def torch_default():
    """What ``nn.Linear`` does when nobody chooses: U(+-1/sqrt(fan_in)) for weights and biases."""

    def fill(weight, bias, generator):
        nn_init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
        bound = 1 / math.sqrt(weight.shape[1])
        nn_init.uniform_(bias, -bound, bound, generator=generator)

    return fill


@initializer("rai")
def rai(std=0.6007):
    """Lu et al. (2020) randomized asymmetric init: N(0, std^2/fan_in) on [W | b], one Beta(2,1)
    entry per row."""

    def fill(weight, bias, generator):
        fan_out, fan_in = weight.shape
        v = torch.randn(fan_out, fan_in + 1, generator=generator) * (std / math.sqrt(fan_in))
        column = torch.randint(fan_in + 1, (fan_out,), generator=generator)
        beta21 = torch.rand(
            fan_out, generator=generator
        ).sqrt()  # inverse CDF of Beta(2,1): F(x) = x^2
        v[torch.arange(fan_out), column] = beta21
        weight.copy_(v[:, :fan_in])
        bias.copy_(v[:, fan_in])

    return fill


def build_init(spec: dict):
    """A function ``fill(weight, bias, generator)`` for a config entry like
    ``{"fn": "he_normal", "bias": 0.1}``."""
    spec = dict(spec)
    name = spec.pop("fn")
    scale, bias_value = spec.pop("scale", 1.0), spec.pop("bias", None)
    INITS.check_kwargs(name, spec)
    base = INITS.get(name)(**spec)

    def fill(weight, bias, generator):
        with torch.no_grad():
            base(weight, bias, generator)
            weight.mul_(scale)
            if bias_value is not None:
                bias.fill_(bias_value)

    return fill
