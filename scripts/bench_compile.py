"""Does ``torch.compile`` pay for itself within one training job? (performance issue, point 4)

On the benchmark's reference stack (digits, 4 x 128 ReLU, He init, 32 models, batch 64) it times the
training step (forward, loss, backward, the stacked SGD step) eager and with the model compiled,
warm, interleaved, and the compiled version's first calls (the compile time). The last line is

    compile_s=<s> eager_ms=<ms/step> compiled_ms=<ms/step> break_even_steps=<n> steps_per_job=<n>

where steps_per_job is the reference cell's steps over 30 epochs (the default study's MLP budget).

    python scripts/bench_compile.py [--device auto] [--steps 200]
"""

import argparse
import statistics
import time

import torch

from deadunits import StackedMLP, TrainSettings, load_dataset
from deadunits.losses import loss_and_error
from deadunits.optimizers import OPTIMIZERS
from deadunits.trainer import gather, resolve_device

MODELS, BATCH, EPOCHS = 32, 64, 30


def step_fn(model, forward, data, optimizer, device):
    """One optimizer step of the whole stack on a random batch per model, synchronised."""

    def step():
        idx = torch.randint(len(data.x_train), (MODELS, BATCH), device=device)
        loss, _ = loss_and_error(
            forward(gather(data.x_train, idx)), gather(data.y_train, idx), False
        )
        model.zero_grad(set_to_none=True)
        (loss * optimizer.loss_weight).sum().backward()
        optimizer.step(torch.ones(MODELS, dtype=torch.bool, device=device))
        if device.type == "cuda":
            torch.cuda.synchronize()

    return step


def ms_per_step(step, steps):
    started = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - started) / steps * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    device = resolve_device(args.device)
    data = load_dataset({"fn": "digits"}).to(device)
    settings = TrainSettings(momentum=0.9)
    steps = {}
    for name in ("eager", "compiled"):
        model = StackedMLP(data.in_dim, data.out_dim, 4, 128, {"fn": "relu"}, MODELS)
        model.initialise({"fn": "he_normal"}, range(MODELS))
        model.to(device)
        optimizer = OPTIMIZERS["sgd"](
            model.parameters(), torch.full((MODELS,), 0.05, device=device), settings
        )
        forward = torch.compile(model) if name == "compiled" else model
        steps[name] = step_fn(model, forward, data, optimizer, device)
    started = time.perf_counter()
    for _ in range(3):  # the first calls compile forward and backward
        steps["compiled"]()
    first_s = time.perf_counter() - started
    steps["eager"]()
    times = {name: [] for name in steps}
    for _ in range(3):  # interleaved rounds, medians
        for name, step in steps.items():
            times[name].append(ms_per_step(step, args.steps))
    eager, compiled = statistics.median(times["eager"]), statistics.median(times["compiled"])
    compile_s = first_s - 3 * compiled / 1e3
    saved_ms = eager - compiled
    break_even = compile_s * 1e3 / saved_ms if saved_ms > 0 else float("inf")
    steps_per_job = EPOCHS * -(-len(data.x_train) // BATCH)
    print(
        f"device {device}, torch {torch.__version__}, {MODELS} models: "
        f"eager {times['eager']} ms/step, "
        f"compiled {times['compiled']} ms/step"
    )
    print(
        f"compile_s={compile_s:.1f} eager_ms={eager:.2f} compiled_ms={compiled:.2f} "
        f"break_even_steps={break_even:.0f} steps_per_job={steps_per_job}"
    )


if __name__ == "__main__":
    main()
