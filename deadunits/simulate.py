"""Measurements at initialisation only (no training): born-dead probability (Lu et al. 2020) and
growth of the activation-length variance with depth/width (R8)."""

import math

import pandas as pd
import torch

from deadunits import probes
from deadunits.stack import StackedMLP
from deadunits.stats import mean_ci


def born_dead(
    widths, depths, draws: int, probe_x: torch.Tensor, activation=None, init=None, seed=0
) -> pd.DataFrame:
    """Share of freshly initialised nets that are dead at one fixed input, and over a whole probe
    set.

    Dead at an input: some hidden layer has no active unit there (for ReLU the output is then
    constant).
    Theory for zero bias and symmetric weights: 1 - (1 - 2^-width)^depth (Lu et al. 2020).
    """
    activation, init = activation or {"fn": "relu"}, init or {"fn": "he_normal"}
    rows = []
    for width in widths:
        for depth in depths:
            net = StackedMLP(probe_x.shape[1], 1, depth, width, activation, draws)
            net.initialise(init, range(seed, seed + draws))
            with torch.no_grad():
                out, hidden = net(probe_x, keep=True)
            layer_dead_at = torch.stack(
                [(z <= 0).all(1) for z, _ in hidden]
            )  # (L, K, P): no unit active
            at_first = layer_dead_at[:, :, 0].any(0).double().numpy()
            mean, low, high, n = mean_ci(at_first)
            rows.append(
                dict(
                    activation=activation["fn"],
                    init=init["fn"],
                    width=width,
                    depth=depth,
                    n=n,
                    p_empirical=mean,
                    ci_low=low,
                    ci_high=high,
                    p_theory=1 - (1 - 2.0**-width) ** depth,
                    p_dataset=probes.collapsed(out).double().mean().item(),
                )
            )
    return pd.DataFrame(rows)


def length_variance(widths, depths, draws: int, in_dim: int = 10, seed=0) -> pd.DataFrame:
    """Hanin & Rolnick (2018): Var(|h_L|^2) / E(|h_L|^2)^2 at He init grows like
    exp(5 * sum 1/width).

    ``predicted`` is the exact value for zero-bias Gaussian He init at one fixed input: each layer
    of n ReLU units multiplies E|h|^4 / (E|h|^2)^2 by E[S^2] = 1 + 5/n, where
    S = (2/n) sum_j relu(g_j)^2 (E relu(g)^2 = 1/2, E relu(g)^4 = 3/2). A sample of N draws cannot
    show a ratio above N - 1 and, the squared length being heavy-tailed, falls short long before
    that: ``measurable`` marks the cells whose predicted ratio is at most sqrt(N).
    """
    x = torch.randn(1, in_dim, generator=torch.Generator().manual_seed(seed))
    rows = []
    for width in widths:
        for depth in depths:
            net = StackedMLP(in_dim, 1, depth, width, {"fn": "relu"}, draws)
            net.initialise({"fn": "he_normal"}, range(seed, seed + draws))
            with torch.no_grad():
                _, hidden = net(x, keep=True)
            sq = hidden[-1][1].pow(2).sum(1).flatten().double()
            predicted = (1 + 5 / width) ** depth - 1
            rows.append(
                dict(
                    width=width,
                    depth=depth,
                    sum_inv_width=depth / width,
                    draws=draws,
                    normalised_variance=(sq.var() / sq.mean() ** 2).item(),
                    predicted=predicted,
                    measurable=predicted <= math.sqrt(draws),
                )
            )
    return pd.DataFrame(rows)
