"""What each activation costs to run: forward + backward on the same tensors, timed against ReLU,
in separate processes (a wall-clock benchmark: docs/performance.md)."""

import json
import math
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import torch

from deadunits.activations import build_activation
from deadunits.stats import mean_ci


def median_seconds(activations: dict, shape, rounds: int) -> dict:
    """{activation: median seconds of forward + backward, or the error it raised}. The activations
    are timed in turn, round after round (round 0 warms up), so that a busier moment of the machine
    hits them all alike."""
    z0 = torch.randn(*shape, generator=torch.Generator().manual_seed(0))
    acts = {name: build_activation(spec, shape[0], shape[1]) for name, spec in activations.items()}
    times, errors = {name: [] for name in acts}, {}
    for round_ in range(rounds + 1):
        for name, act in acts.items():
            if name in errors:
                continue
            z = z0.clone().requires_grad_(True)
            started = time.perf_counter()
            try:
                act(z).sum().backward()
            except Exception as err:  # noqa: BLE001 - a broken activation is reported, the rest timed
                errors[name] = f"{type(err).__name__}: {err}"
                continue
            if round_:
                times[name].append(time.perf_counter() - started)
    return {name: errors.get(name) or float(np.median(t)) for name, t in times.items()}


def _in_fresh_process(activations: dict, shape, rounds: int, threads: int) -> dict:
    job = json.dumps(
        dict(activations=activations, shape=list(shape), rounds=rounds, threads=threads)
    )
    done = subprocess.run(
        [sys.executable, "-m", "deadunits.cost"], input=job, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"timing process failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def activation_cost(
    activations: dict, shape=(64, 512, 256), rounds: int = 5, processes: int = 5, threads=None
) -> pd.DataFrame:
    """Per activation: its median time over ``processes`` separate processes (each the median of
    ``rounds`` interleaved rounds), ``relative_to_relu`` the ratio of those medians to ReLU's, and a
    95% t-interval of the per-process ratios."""
    threads = threads or torch.get_num_threads()
    runs = [_in_fresh_process(activations, shape, rounds, threads) for _ in range(processes)]
    relu = np.array([run.get("relu", math.nan) for run in runs], dtype=float)
    rows = []
    for name in activations:
        seconds = [run[name] for run in runs if not isinstance(run[name], str)]
        error = next((run[name] for run in runs if isinstance(run[name], str)), "")
        t = np.array(seconds, dtype=float)
        ratios = t / relu[: len(t)]
        _, low, high, _ = mean_ci(ratios, rate=False) if len(t) else (math.nan,) * 3 + (0,)
        rows.append(
            dict(
                activation=name,
                seconds=float(np.median(t)) if len(t) else math.nan,
                relative_to_relu=float(np.median(t) / np.median(relu)) if len(t) else math.nan,
                ci_low=low,
                ci_high=high,
                processes=len(t),
                rounds=rounds,
                error=error,
            )
        )
    return pd.DataFrame(rows)


if __name__ == "__main__":  # one timing process: a job as JSON on stdin, medians as JSON out
    job = json.loads(sys.stdin.read())
    torch.set_num_threads(job["threads"])
    print(json.dumps(median_seconds(job["activations"], job["shape"], job["rounds"])))
