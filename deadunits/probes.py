"""Unit-level measurements on a fixed probe set (definitions in docs/metrics.md).

Every function takes stacked tensors: pre-activations ``z`` and activations ``h`` of one hidden
layer with shape (models, units, probe inputs), and returns one value per model (or per model and
unit).
"""

import torch

# The per-layer fractions of layer_stats that become per-run columns <name>_init and <name>_final
# (deadunits/summary.py). A new unit metric is one entry in layer_stats, plus its name here.
UNIT_FRACTIONS = ("inactive", "dead", "dormant", "sparsity")


def inactive_units(z):
    """(K, W) mask: pre-activation <= 0 for every probe input. A ReLU there outputs 0 and gets no
    gradient; a Leaky ReLU, ELU, tanh or sigmoid unit still does (inactive is not
    dead)."""
    return z.amax(dim=-1) <= 0


def dead_units(dphi, threshold: float = 1e-3):
    """(K, W) mask: |phi'(z)| < threshold for every probe input: no learning signal passes the
    unit."""
    return (
        torch.maximum(dphi.amax(dim=-1), -dphi.amin(dim=-1)) < threshold
    )  # max |phi'|, without an abs() copy


def dormant_units(h, tau: float = 0.1):
    """(K, W) mask: the unit's mean |activation| is at most ``tau`` times the layer's average
    (ReDo)."""
    score = h.abs().mean(dim=-1)
    layer_mean = score.mean(dim=1, keepdim=True)
    return score <= tau * layer_mean  # a layer of all-zero units has score 0 <= 0: all dormant


def derivative(activation, z):
    """phi'(z) elementwise, by autograd, so it holds for any elementwise activation module."""
    with torch.enable_grad():
        z = z.detach().requires_grad_(True)
        (dphi,) = torch.autograd.grad(activation(z).sum(), z)
    return dphi


def collapsed(out, rtol: float = 1e-6):
    """(K,) mask: the network's (K, outputs, inputs) output is constant over the probe set (a
    born-dead or collapsed net)."""
    spread = (out.amax(dim=-1) - out.amin(dim=-1)).amax(dim=-1)
    return spread <= rtol * out.abs().amax(dim=(1, 2)).clamp_min(1.0)


def layer_stats(z, h, dphi, dead_threshold: float = 1e-3, dormant_tau: float = 0.1) -> dict:
    """Per-model fractions and moments of one hidden layer, plus its inactive mask (for the unit
    histories).

    ``bias_shift`` is Clevert et al.'s measure: each unit's mean activation over the probe set, then
    the median over the layer's units. The probe runs on tensors larger than the cache,
    so each statistic uses torch's vectorised reductions (a bool comparison, ``var_mean`` or
    ``aminmax`` is several times slower here).
    """
    inactive = inactive_units(z)
    k, w, p = h.shape
    flat = h.reshape(k, -1)
    mean = flat.mean(1)
    sum_sq = torch.linalg.vector_norm(flat, dim=1).square()
    return {
        "inactive_mask": inactive,
        "inactive": inactive.float().mean(1),
        "dead": dead_units(dphi, dead_threshold).float().mean(1),
        "dormant": dormant_units(h, dormant_tau).float().mean(1),
        "sparsity": 1 - flat.sign().abs_().mean(1),  # fraction of exact zeros
        "act_mean": mean,
        "bias_shift": h.mean(-1).median(1).values,
        "act_std": (sum_sq / flat.shape[1] - mean * mean).clamp_min(0).sqrt(),
        "act_sq_length": sum_sq / p,  # mean over probe inputs of |h(x)|^2
    }
