"""A stack of K MLPs of one architecture, trained as one set of batched matrix multiplies.

Weights are held as (K, out, in) tensors, nn.Linear's layout per model: on a 2-core CPU one
``baddbmm`` over 32 small models runs much faster than 32 separate ``nn.Linear`` calls.
Activations are units-first, (K, units, batch): z = W h + b, and the weight gradient dz h^T lands in
the weights' layout. For narrow layers (the width-2 to width-10 collapse nets) this runs a training
step faster than (K, batch, units), whose reductions over the batch axis are slow; for widths 64-128
the two are about as fast.
"""

import numpy as np
import torch
from torch import nn

from deadunits.activations import build_activation, export_activation
from deadunits.inits import build_init
from deadunits.io import atomic_write
from deadunits.norms import NORMS


def model_generators(seed: int):
    """Independent generators for a model's init and its minibatch order, derived from its seed
    alone."""
    init_seed, data_seed = np.random.SeedSequence(seed).generate_state(2, dtype=np.uint64)
    return (
        torch.Generator("cpu").manual_seed(int(init_seed)),
        torch.Generator("cpu").manual_seed(int(data_seed)),
    )


def hidden_widths(depth: int, width) -> list:
    """The width of each hidden layer: ``width`` is one number for all ``depth`` layers, or one per
    layer."""
    widths = [width] * depth if isinstance(width, int) else [int(w) for w in width]
    if depth < 1 or len(widths) != depth or min(widths) < 1:
        raise ValueError(
            f"need depth >= 1 and a width >= 1 for each of the {depth} hidden layers, "
            f"got width {width}"
        )
    return widths


class ResidualBlock(nn.Module):
    """h + alpha * act(norm(linear(h))): one hidden layer of an exported residual net."""

    def __init__(self, *layers: nn.Module, alpha: float):
        super().__init__()
        self.branch, self.alpha = nn.Sequential(*layers), alpha

    def forward(self, h):
        return h + self.alpha * self.branch(h)


class StackedMLP(nn.Module):
    """``depth`` hidden layers of ``width`` units (one number, or one per layer), then a linear
    output layer, for ``n_models`` models. ``norm`` (a name in deadunits/norms.py) normalizes each
    hidden layer's pre-activations before its activation; ``residual`` (a branch scale alpha, or
    None) makes every hidden layer after the first whose width equals its input's a residual
    block h + alpha * act(norm(W h + b))."""

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        depth: int,
        width,
        activation: dict,
        n_models: int,
        norm: str = "none",
        residual: float | None = None,
    ):
        super().__init__()
        if n_models < 1:
            raise ValueError(f"need n_models >= 1, got {n_models}")
        self.widths = hidden_widths(depth, width)
        dims = [in_dim] + self.widths + [out_dim]
        self.activation_spec, self.norm, self.residual = dict(activation), norm, residual
        self.norms = nn.ModuleList(
            [] if norm == "none" else [NORMS.get(norm)(n_models, w) for w in self.widths]
        )
        self.skips = [
            residual is not None and layer > 0 and dims[layer] == dims[layer + 1]
            for layer in range(len(self.widths))
        ]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.empty(n_models, o, i)) for i, o in zip(dims, dims[1:])
        )
        self.biases = nn.ParameterList(nn.Parameter(torch.empty(n_models, o)) for o in dims[1:])
        self.acts = nn.ModuleList(build_activation(activation, n_models, w) for w in self.widths)

    @property
    def n_models(self) -> int:
        return self.weights[0].shape[0]

    def initialise(self, init: dict, seeds) -> None:
        """Fill model k from ``seeds[k]``'s init generator, layer by layer, as it would be filled
        alone."""
        fill = build_init(init)
        with torch.no_grad():
            for k, seed in enumerate(seeds):
                generator = model_generators(int(seed))[0]
                for w, b in zip(self.weights, self.biases):
                    fill(w[k], b[k], generator)  # (out, in), as nn.Linear holds it

    def forward(self, x, keep: bool = False):
        """``x`` is (batch, in) shared by all models or (K, batch, in); returns (K, out, batch).
        With ``keep`` also returns each hidden layer's (pre-activation, activation) pair,
        (K, units, batch) each."""
        hidden = []
        h = x.transpose(-2, -1)
        for layer, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = (
                torch.baddbmm(b.unsqueeze(2), w, h)
                if h.dim() == 3
                else torch.matmul(w, h) + b.unsqueeze(2)
            )
            if layer == len(self.acts):
                return (z, hidden) if keep else z
            if self.norms:
                z = self.norms[layer](z)
            a = self.acts[layer](z)
            h = h + self.residual * a if self.skips[layer] else a
            if keep:
                hidden.append((z, a))  # a unit's pre-activation is its activation's input

    def export(self, i: int) -> nn.Sequential:
        """Model ``i`` as a plain ``nn.Sequential`` of ``nn.Linear``, norm and activation modules
        (``ResidualBlock`` for a residual layer), in eval mode."""
        layers = []
        for layer, (w, b) in enumerate(zip(self.weights, self.biases)):
            linear = nn.Linear(w.shape[2], w.shape[1])
            linear.weight.data.copy_(w.detach()[i])
            linear.bias.data.copy_(b.detach()[i])
            if layer == len(self.acts):
                layers.append(linear)
                break
            block = [linear] + ([self.norms[layer].export(i)] if self.norms else [])
            block.append(export_activation(self.acts[layer], i))
            skip = self.skips[layer]
            layers += [ResidualBlock(*block, alpha=self.residual)] if skip else block
        return nn.Sequential(*layers).to(w.device).eval()


LAYOUT = "models-out-in"  # how save_stack stores weights; load_model refuses any other


def save_stack(path, model: StackedMLP, initial_state: dict, meta: dict) -> None:
    """Save initial and final weights of every model in the stack, with what is needed to rebuild
    it."""
    arch = dict(
        in_dim=model.weights[0].shape[2],
        out_dim=model.weights[-1].shape[1],
        depth=len(model.acts),
        width=model.widths,
        activation=model.activation_spec,
        n_models=model.n_models,
        norm=model.norm,
        residual=model.residual,
    )
    final = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    saved = {"arch": arch, "initial": initial_state, "final": final, "meta": meta, "layout": LAYOUT}
    atomic_write(path, lambda tmp: torch.save(saved, tmp))


def load_model(path, i: int, which: str = "final") -> nn.Sequential:
    """Model ``i`` of a saved stack (``which`` = "initial" or "final") as a plain ``nn.Sequential``.

    Example: ``net = load_model("results/train/.../weights.pt", 3); net(x)``.
    """
    saved = torch.load(path, map_location="cpu", weights_only=True)
    if "error" in saved:
        raise ValueError(
            f"{path}: this cell failed to train ({saved['error']}); "
            "see its log under results/logs/train/"
        )
    if saved.get("layout") != LAYOUT:
        raise ValueError(
            f"{path}: saved by an older deadunits, with weights stored (models, in, out); expected "
            f"layout {LAYOUT!r}: retrain its job (snakemake --forcerun results/train/<job>)"
        )
    n = saved["arch"]["n_models"]
    if not 0 <= i < n:
        raise IndexError(f"model index {i} out of range: {path} holds {n} models")
    if which not in ("initial", "final"):
        raise ValueError(f"which={which!r}; expected 'initial' or 'final'")
    stack = StackedMLP(**saved["arch"])
    stack.load_state_dict(saved[which])
    return stack.export(i)
