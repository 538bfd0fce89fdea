"""Benchmark the stacked trainer against a plain one-model-at-a-time PyTorch loop (GUIDE §6).

Reference cell: scikit-learn digits, 4 hidden layers of 128, ReLU, He init, SGD lr 0.05, batch 64,
32 seeds, 10 epochs. A training step counts 6 x parameters x examples FLOPs. It also times the
training's batched matrix multiplies alone, at the reference cell's shapes: the ceiling that any
stacked trainer of these shapes can reach on this machine; with the FLOPs of the probes' forward
passes added, it bounds all three figures below. The stacked trainer runs ``--repeats``
times and the fastest run counts (shared machines are noisy); every run is printed.

    python scripts/bench_trainer.py [--device auto] [--plain-models 4] [--repeats 3]

The last line is ``efficiency=... speedup=... probe_overhead=...``.
"""
import argparse
import time

import torch
from torch import nn

from deadunits import StackedMLP, TrainSettings, load_dataset, train_stack
from deadunits.trainer import keep_freed_memory, resolve_device

DEPTH, WIDTH, LR, BATCH, SEEDS, EPOCHS = 4, 128, 0.05, 64, 32, 10


def seconds_per_call(fn, device, repeats) -> float:
    fn()
    sync(device)
    started = time.perf_counter()
    for _ in range(repeats):
        fn()
    sync(device)
    return (time.perf_counter() - started) / repeats


def matmul_peak(device, n=2048) -> float:
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    return 2 * n**3 / seconds_per_call(lambda: a @ b, device, repeats=10)


def stacked_matmul_seconds(dims, device) -> float:
    """Seconds for one stacked training step's matrix multiplies alone: per layer the forward
    h @ W, the weight gradient h^T @ dz and (past the first layer) the input gradient dz @ W^T."""
    products = []
    for layer, (n_in, n_out) in enumerate(zip(dims, dims[1:])):
        h, w = torch.randn(SEEDS, BATCH, n_in, device=device), torch.randn(SEEDS, n_in, n_out, device=device)
        dz = torch.randn(SEEDS, BATCH, n_out, device=device)
        products += [(h, w), (h.transpose(1, 2), dz)] + ([(dz, w.transpose(1, 2))] if layer else [])
    return seconds_per_call(lambda: [torch.bmm(a, b) for a, b in products], device, repeats=50)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def plain_loop(data, device, n_models) -> float:
    """Seconds per model for the textbook loop: one nn.Sequential, a DataLoader, torch.optim.SGD."""
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data.x_train, data.y_train),
                                         batch_size=BATCH, shuffle=True)
    started = time.perf_counter()
    for seed in range(n_models):
        torch.manual_seed(seed)
        stack = StackedMLP(data.in_dim, data.out_dim, DEPTH, WIDTH, {"fn": "relu"}, 1)
        stack.initialise({"fn": "he_normal"}, [seed])
        net = stack.export(0).to(device)
        opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=0.9)
        for _ in range(EPOCHS):
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                loss = nn.functional.cross_entropy(net(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
    sync(device)
    return (time.perf_counter() - started) / n_models


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--plain-models", type=int, default=4, help="models timed in the plain loop (it is slow)")
    parser.add_argument("--repeats", type=int, default=3, help="stacked runs; the fastest counts")
    args = parser.parse_args()
    device = resolve_device(args.device)
    keep_freed_memory()
    data = load_dataset({"fn": "digits"})
    params = sum(p.numel() for p in StackedMLP(data.in_dim, data.out_dim, DEPTH, WIDTH, {"fn": "relu"}, 1).parameters())
    flops_per_model = 6 * params * len(data.x_train) * EPOCHS

    peak = matmul_peak(device)
    print(f"device={device} threads={torch.get_num_threads()} matmul_peak={peak / 1e9:.1f} GFLOP/s")
    plain_s = plain_loop(data, device, args.plain_models)
    print(f"plain loop: {plain_s:.3f} s/model, {flops_per_model / plain_s / 1e9:.1f} GFLOP/s")
    dims = [data.in_dim] + [WIDTH] * DEPTH + [data.out_dim]
    ceiling_s = stacked_matmul_seconds(dims, device) * len(data.x_train) / BATCH * EPOCHS
    print(f"matmuls alone at the stacked shapes: {ceiling_s:.2f} s for {SEEDS} models, "
          f"{flops_per_model * SEEDS / ceiling_s / 1e9:.1f} GFLOP/s (ceiling efficiency "
          f"{flops_per_model * SEEDS / ceiling_s / peak:.3f})")
    settings = TrainSettings(epochs=EPOCHS, batch_size=BATCH)
    train_stack(data, depth=DEPTH, width=WIDTH, activation={"fn": "relu"}, init={"fn": "he_normal"},
                lrs=[LR], seeds=range(2), settings=TrainSettings(epochs=1), device=device)  # warm-up
    runs = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        result = train_stack(data, depth=DEPTH, width=WIDTH, activation={"fn": "relu"}, init={"fn": "he_normal"},
                             lrs=[LR], seeds=range(SEEDS), settings=settings, device=device)
        sync(device)
        runs.append((time.perf_counter() - started, result.timing))
        print(f"stacked: {SEEDS} models in {runs[-1][0]:.2f} s, probes {result.timing['probe_s']:.2f} s, "
              f"training {result.timing['train_s']:.2f} s")
    stacked_s, timing = min(runs, key=lambda run: run[0])
    rate = flops_per_model * SEEDS / stacked_s
    print(f"fastest stacked run: {stacked_s / SEEDS:.3f} s/model, {rate / 1e9:.1f} GFLOP/s")
    probe_share = 2 * params * timing["probe_examples"] / flops_per_model  # forward passes only
    floor_s = ceiling_s * (1 + probe_share)  # training and probe matmuls both at the ceiling's rate
    print(f"probes forward {timing['probe_examples']} examples per model, {probe_share:.1%} of the training FLOPs; "
          f"with every matmul at the ceiling and nothing else: efficiency <= {flops_per_model * SEEDS / floor_s / peak:.3f} "
          f"speedup <= {plain_s / (floor_s / SEEDS):.1f} probe_overhead >= {probe_share / (1 + probe_share):.3f}")
    print(f"efficiency={rate / peak:.3f} speedup={plain_s / (stacked_s / SEEDS):.1f} "
          f"probe_overhead={timing['probe_s'] / stacked_s:.3f}")


if __name__ == "__main__":
    main()
