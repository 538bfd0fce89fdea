"""What each activation, and each fix, costs to run: forward + backward of an activation on the
same tensors, timed against ReLU, and an optimizer step of each fix's stack, timed against the
plain net's; each in separate processes (wall-clock benchmarks: docs/performance.md)."""

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


def step_seconds(cells: dict, steps: int, rounds: int, device: str = "cpu") -> dict:
    """{cell id: seconds per optimizer step of the cell's whole stack}, the mean over ``rounds``
    rounds of ``steps`` steps on random minibatches. The cells are timed in turn, round after round
    (round 0 warms up), so that a busier moment of the machine hits them all alike. An
    intervention is timed once a round and spread over the ``every`` steps it acts on, as in
    training."""
    from deadunits.datasets import load_dataset
    from deadunits.trainer import build_stack, gather, resolve_device, stack_args

    device = resolve_device(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else lambda: None
    datasets, stacks, seconds = {}, {}, dict.fromkeys(cells, 0.0)
    for cell_id, cell in cells.items():
        spec = json.dumps(cell["dataset_spec"], sort_keys=True)
        if spec not in datasets:
            datasets[spec] = load_dataset(cell["dataset_spec"]).to(device)
        stacks[cell_id] = (build_stack(datasets[spec], **stack_args(cell), device=device), spec)
    generator = torch.Generator().manual_seed(0)
    for round_ in range(rounds + 1):
        for cell_id, (stack, spec) in stacks.items():
            s, stepper, data = stack.stepper.s, stack.stepper, datasets[spec]
            shape = (steps, len(stack.seed_of), s.batch_size)
            batches = torch.randint(len(data.x_train), shape, generator=generator).to(device)
            stack.model.train()
            sync()
            started = time.perf_counter()
            for idx in batches:
                stepper.step(gather(data.x_train, idx), gather(data.y_train, idx))
            sync()
            elapsed = time.perf_counter() - started
            if stack.intervene:
                started = time.perf_counter()
                stack.intervene(stepper.step_count, stepper.active)
                sync()
                elapsed += (time.perf_counter() - started) * steps / s.intervention["every"]
            seconds[cell_id] += elapsed if round_ else 0.0
            stepper.trace.clear()
    return {cell_id: total / (rounds * steps) for cell_id, total in seconds.items()}


def _in_fresh_process(job: dict) -> dict:
    job = json.dumps(job)
    done = subprocess.run(
        [sys.executable, "-m", "deadunits.cost"], input=job, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"timing process failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def relative(times: np.ndarray, reference: np.ndarray) -> tuple:
    """(ratio of the medians, and the 95% t-interval of the per-process ratios) of ``times``
    against ``reference``, both one value per process in the same order; NaN without times."""
    if not len(times):
        return math.nan, math.nan, math.nan
    _, low, high, _ = mean_ci(times / reference[: len(times)], rate=False)
    return float(np.median(times) / np.median(reference)), low, high


def activation_cost(
    activations: dict, shape=(64, 512, 256), rounds: int = 5, processes: int = 5, threads=None
) -> pd.DataFrame:
    """Per activation: its median time over ``processes`` separate processes (each the median of
    ``rounds`` interleaved rounds), ``relative_to_relu`` the ratio of those medians to ReLU's, and a
    95% t-interval of the per-process ratios."""
    threads = threads or torch.get_num_threads()
    job = dict(activations=activations, shape=list(shape), rounds=rounds, threads=threads)
    runs = [_in_fresh_process(job) for _ in range(processes)]
    relu = np.array([run.get("relu", math.nan) for run in runs], dtype=float)
    rows = []
    for name in activations:
        seconds = [run[name] for run in runs if not isinstance(run[name], str)]
        error = next((run[name] for run in runs if isinstance(run[name], str)), "")
        t = np.array(seconds, dtype=float)
        ratio, low, high = relative(t, relu)
        rows.append(
            dict(
                activation=name,
                seconds=float(np.median(t)) if len(t) else math.nan,
                relative_to_relu=ratio,
                ci_low=low,
                ci_high=high,
                processes=len(t),
                rounds=rounds,
                error=error,
            )
        )
    return pd.DataFrame(rows)


def fix_cost(
    cells: dict, steps: int = 10, rounds: int = 10, processes: int = 3, threads=1, device="cpu"
) -> pd.DataFrame:
    """Per cell of a grid with variants: the median seconds per optimizer step of a stack of its
    seeds at its first lr on ``device``, over ``processes`` separate processes (each the mean of
    ``rounds`` interleaved rounds of ``steps`` steps, with ``threads`` torch threads, as the study
    trains); ``relative_to_plain``, the ratio of those medians to the plain cell's it is compared
    with (``against_plain``), and a 95% t-interval of the per-process ratios."""
    from deadunits.summary import against_plain

    if not cells:
        return pd.DataFrame(columns=["experiment", "variant", "depth", "optimizer"])
    timed = {i: {**c, "lrs": c["lrs"][:1]} for i, c in cells.items()}  # one lr: a seed block
    job = dict(cells=timed, steps=steps, rounds=rounds, threads=threads, device=device)
    runs = pd.DataFrame([_in_fresh_process(job) for _ in range(processes)])  # process x cell
    keys = pd.DataFrame([dict(cell_id=i, **c["key"]) for i, c in cells.items()])
    rows = []
    for variant in keys.variant.unique():
        for depth, optimizer, fix, plain in against_plain(keys, variant):
            fix_id, plain_id = fix.cell_id.iloc[0], plain.cell_id.iloc[0]
            ratio, low, high = relative(runs[fix_id].to_numpy(), runs[plain_id].to_numpy())
            rows.append(
                dict(
                    experiment=fix.experiment.iloc[0],
                    variant=variant,
                    depth=depth,
                    optimizer=optimizer,
                    seconds_per_step=runs[fix_id].median(),
                    relative_to_plain=ratio,
                    ci_low=low,
                    ci_high=high,
                    models=len(timed[fix_id]["seeds"]),
                    processes=processes,
                    steps=steps,
                    rounds=rounds,
                )
            )
    return pd.DataFrame(rows)


if __name__ == "__main__":  # one timing process: a job as JSON on stdin, medians as JSON out
    job = json.loads(sys.stdin.read())
    torch.set_num_threads(job["threads"])
    if "cells" in job:
        print(json.dumps(step_seconds(job["cells"], job["steps"], job["rounds"], job["device"])))
    else:
        print(json.dumps(median_seconds(job["activations"], job["shape"], job["rounds"])))
