"""Activation registry. Each entry builds a module that acts elementwise on (models, units, batch).

Config entries look like ``{"fn": "leaky_relu", "negative_slope": 0.1}`` or, for anything torch (or
another package) provides, ``{"fn": "torch.nn:Hardswish"}``. A new activation is one entry below.
"""

import copy

import torch
import torch.nn.functional as F
from torch import nn

from deadunits.registry import Registry, import_object

ACTIVATIONS = Registry("activation")
ACTIVATIONS.update(
    relu=lambda: nn.ReLU(),
    leaky_relu=lambda negative_slope=0.01: nn.LeakyReLU(negative_slope),
    elu=lambda alpha=1.0: nn.ELU(alpha),
    selu=lambda: nn.SELU(),
    gelu=lambda approximate="none": nn.GELU(approximate),
    silu=lambda: nn.SiLU(),
    tanh=lambda: nn.Tanh(),
    sigmoid=lambda: nn.Sigmoid(),
    softplus=lambda beta=1.0, threshold=20.0: nn.Softplus(beta, threshold),
)


class StackedPReLU(nn.Module):
    """PReLU with one learned slope per model (``shared``) or per model and unit, for a stack of
    models.

    It runs PyTorch's own PReLU kernel with each (model, unit) as a channel: the same numbers as the
    exported ``nn.PReLU``, and forward + backward faster than ``torch.where``.
    """

    def __init__(self, n_models: int, width: int, init: float = 0.25, shared: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.full((n_models, 1 if shared else width, 1), float(init)))

    def forward(self, z):
        k, width = z.shape[:2]  # (models, units, batch)
        slopes = self.weight.expand(k, width, 1).reshape(k * width)
        return F.prelu(z.reshape(1, k * width, -1), slopes).view_as(z)

    def export(self, i: int) -> nn.PReLU:
        """Model ``i``'s slopes as an ordinary ``nn.PReLU``."""
        slopes = self.weight.detach()[i, :, 0]
        single = nn.PReLU(num_parameters=slopes.numel())
        single.weight.data.copy_(slopes)
        return single


@ACTIVATIONS.register("prelu")
def prelu(init=0.25, shared=False):
    """Learned negative slope (He et al. 2015: init 0.25, no weight decay); built once the stack
    shape is known."""
    return lambda n_models, width: StackedPReLU(n_models, width, init, shared)


class _Elementwise(nn.Module):
    """Wraps a plain function (e.g. ``torch.nn.functional:hardswish``) as a module."""

    def __init__(self, fn, kwargs):
        super().__init__()
        self.fn, self.kwargs = fn, kwargs

    def forward(self, z):
        return self.fn(z, **self.kwargs)


def build_activation(spec: dict, n_models: int = 1, width: int = 1) -> nn.Module:
    """The module for one hidden layer of ``n_models`` stacked models of ``width`` units."""
    spec = dict(spec)
    name = spec.pop("fn")
    if ":" in name:
        obj = import_object(name)
        module = obj(**spec) if isinstance(obj, type) else _Elementwise(obj, spec)
        if any(True for _ in module.parameters()):
            raise ValueError(
                f"activation {name!r} has learned parameters; stacked training needs a registry "
                "entry for it"
            )
        return module
    if "." in name and name not in ACTIVATIONS:
        module, _, attr = name.rpartition(".")
        raise KeyError(
            f"unknown activation {name!r}; an import path puts a colon before the name: "
            f"{module + ':' + attr!r}"
        )
    ACTIVATIONS.check_kwargs(name, spec)
    made = ACTIVATIONS.get(name)(**spec)
    return made if isinstance(made, nn.Module) else made(n_models, width)


def check_activation(spec: dict) -> None:
    """Fail early on an unknown name, bad arguments, or a function that is not elementwise (each
    output depends on its own input alone: a unit's pre-activation decides its activation)."""
    z = torch.linspace(-3, 3, 12, dtype=torch.float32).view(2, 3, 2)
    together = build_activation(spec, 2, 3)(z)
    alone = torch.stack([build_activation(spec)(v.view(1, 1, 1)).flatten() for v in z.flatten()])
    if together.shape != z.shape or not torch.allclose(
        together.flatten().double(), alone.flatten().double(), atol=1e-6
    ):
        raise ValueError(
            f"activation {spec['fn']!r} is not elementwise: applied to a tensor it gives other "
            "values than applied to each element alone; the units need an elementwise function"
        )


def export_activation(module: nn.Module, i: int) -> nn.Module:
    """Model ``i``'s activation as a standalone module."""
    return module.export(i) if isinstance(module, StackedPReLU) else copy.deepcopy(module)
