"""What each activation costs to run: forward + backward on the same tensors, timed against ReLU."""

import math
import time

import numpy as np
import pandas as pd
import torch

from deadunits.activations import build_activation
from deadunits.stats import mean_ci


def activation_cost(activations: dict, shape=(64, 512, 256), rounds: int = 15) -> pd.DataFrame:
    """Seconds for forward + backward of each activation on the same (models, units, batch) tensor,
    relative to ReLU.

    The activations are timed in turn, round after round, so that a slower or busier moment of the
    machine hits them all alike instead of whichever was timed then. ``relative_to_relu`` is the
    ratio of the median times, with a 95% t-interval of the per-round ratios: timings wobble from
    run to run, and the report shows these rows as benchmarks, apart from the counted claims.
    """
    z0 = torch.randn(*shape, generator=torch.Generator().manual_seed(0))
    acts = {name: build_activation(spec, shape[0], shape[1]) for name, spec in activations.items()}
    times, errors = {name: [] for name in acts}, {}

    def once(act):
        z = z0.clone().requires_grad_(True)
        started = time.perf_counter()
        act(z).sum().backward()
        return time.perf_counter() - started

    for round_ in range(rounds + 1):  # round 0 warms up
        for name, act in acts.items():
            if name in errors:
                continue
            try:
                elapsed = once(act)
            except Exception as err:  # noqa: BLE001 - a broken activation is reported, the others still timed
                errors[name] = f"{type(err).__name__}: {err}"
                continue
            if round_:
                times[name].append(elapsed)
    relu = np.array(times.get("relu") or [math.nan] * rounds)
    rows = []
    for name, t in times.items():
        _, low, high, _ = mean_ci(np.array(t) / relu[: len(t)]) if t else (math.nan,) * 3 + (0,)
        ratio = float(np.median(t) / np.median(relu)) if t else math.nan
        rows.append(
            dict(
                activation=name,
                seconds=float(np.median(t)) if t else math.nan,
                relative_to_relu=ratio,
                ci_low=low,
                ci_high=high,
                rounds=len(t),
                error=errors.get(name, ""),
            )
        )
    return pd.DataFrame(rows)
