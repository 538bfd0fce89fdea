"""Inactive/dead/dormant fractions for any ``nn.Module``: hooks on its activation modules.

    monitor = DeadUnitMonitor(model)
    table = monitor.measure(loader)   # one row per activation module
    monitor.remove()

A unit is one feature (dimension 1) of an activation's input. It is inactive when its pre-activation
is <= 0 for every input seen, and dead when |phi'| is below 1e-3 on every input seen (no gradient
passes: for ReLU the same as inactive, never for Leaky ReLU), as in the pipeline (docs/metrics.md,
"Metrics").
"""

import pandas as pd
import torch
from torch import nn

from deadunits import probes

ACTIVATION_TYPES = (
    nn.ReLU,
    nn.LeakyReLU,
    nn.PReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Tanh,
    nn.Sigmoid,
    nn.Softplus,
    nn.Hardswish,
    nn.Hardtanh,
    nn.ReLU6,
)


class _UnitTally:
    """Running per-unit evidence for one activation module, over as many batches as it sees."""

    def __init__(self):
        self.all_nonpositive = self.all_flat = None
        self.abs_sum = self.zeros = 0
        self.count = 0

    def add(self, module, z, h):
        dphi = probes.derivative(
            module.forward, z
        )  # .forward: calling the module would re-enter the hook
        units = z.shape[1] if z.dim() > 1 else 1
        # (inputs, units): move the unit axis last, fold every other axis into "inputs"
        z, h, dphi = (
            t.movedim(1, -1).reshape(-1, units) if t.dim() > 1 else t.reshape(-1, 1)
            for t in (z, h, dphi)
        )
        nonpositive, flat = (z <= 0).all(0), (dphi.abs() < 1e-3).all(0)
        self.all_nonpositive = (
            nonpositive if self.all_nonpositive is None else self.all_nonpositive & nonpositive
        )
        self.all_flat = flat if self.all_flat is None else self.all_flat & flat
        self.abs_sum = self.abs_sum + h.abs().sum(0)
        self.zeros += int((h == 0).sum())
        self.count += z.shape[0]

    def row(self, name, tau):
        score = self.abs_sum / self.count
        dormant = score <= tau * score.mean()
        return dict(
            layer=name,
            units=score.numel(),
            inactive=self.all_nonpositive.float().mean().item(),
            dead=self.all_flat.float().mean().item(),
            dormant=dormant.float().mean().item(),
            sparsity=self.zeros / (self.count * score.numel()),
        )


class DeadUnitMonitor:
    """Attach to a model's activation modules (or to ``types`` you name) and tally what their units
    do."""

    def __init__(self, model: nn.Module, types=ACTIVATION_TYPES, dormant_tau: float = 0.1):
        self.model, self.tau = model, dormant_tau
        self.tallies, self.handles = {}, []
        for name, module in model.named_modules():
            if isinstance(module, types):
                self.handles.append(
                    module.register_forward_hook(self._hook(name or type(module).__name__))
                )
        if not self.handles:
            raise ValueError(
                f"{type(model).__name__} has no activation module of types "
                f"{[t.__name__ for t in types]}"
            )

    def _hook(self, name):
        def hook(module, inputs, output):
            self.tallies.setdefault(name, _UnitTally()).add(
                module, inputs[0].detach(), output.detach()
            )

        return hook

    def measure(self, batches) -> pd.DataFrame:
        """Run the model over ``batches`` (a DataLoader of ``(x, y)`` or of ``x``, or one tensor of
        inputs taken as one batch) and tabulate each layer."""
        if isinstance(batches, torch.Tensor):
            batches = [batches]
        self.tallies = {}
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                for batch in batches:
                    self.model(batch[0] if isinstance(batch, (tuple, list)) else batch)
        finally:
            self.model.train(was_training)
        return pd.DataFrame([tally.row(name, self.tau) for name, tally in self.tallies.items()])

    def remove(self):
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
