"""Benchmark the stacked trainer against a plain one-model-at-a-time PyTorch loop (GUIDE §6).

Reference cell: scikit-learn digits, 4 hidden layers of 128, ReLU, He init, SGD lr 0.05, batch 64,
32 seeds, 10 epochs. A training step counts 6 x parameters x examples FLOPs.

    python scripts/bench_trainer.py [--device auto] [--plain-models 4]

The last line is ``efficiency=... speedup=... probe_overhead=...``.
"""
import argparse
import time

import torch
from torch import nn

from deadunits import StackedMLP, TrainSettings, load_dataset, train_stack
from deadunits.trainer import resolve_device

DEPTH, WIDTH, LR, BATCH, SEEDS, EPOCHS = 4, 128, 0.05, 64, 32, 10


def matmul_peak(device, n=2048, repeats=10) -> float:
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b
    sync(device)
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    sync(device)
    return 2 * n**3 * repeats / (time.perf_counter() - started)


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
    args = parser.parse_args()
    device = resolve_device(args.device)
    data = load_dataset({"fn": "digits"})
    params = sum(p.numel() for p in StackedMLP(data.in_dim, data.out_dim, DEPTH, WIDTH, {"fn": "relu"}, 1).parameters())
    flops_per_model = 6 * params * len(data.x_train) * EPOCHS

    peak = matmul_peak(device)
    print(f"device={device} threads={torch.get_num_threads()} matmul_peak={peak / 1e9:.1f} GFLOP/s")
    plain_s = plain_loop(data, device, args.plain_models)
    print(f"plain loop: {plain_s:.3f} s/model, {flops_per_model / plain_s / 1e9:.1f} GFLOP/s")
    settings = TrainSettings(epochs=EPOCHS, batch_size=BATCH)
    train_stack(data, depth=DEPTH, width=WIDTH, activation={"fn": "relu"}, init={"fn": "he_normal"},
                lrs=[LR], seeds=range(2), settings=TrainSettings(epochs=1), device=device)  # warm-up
    started = time.perf_counter()
    result = train_stack(data, depth=DEPTH, width=WIDTH, activation={"fn": "relu"}, init={"fn": "he_normal"},
                         lrs=[LR], seeds=range(SEEDS), settings=settings, device=device)
    sync(device)
    stacked_s = time.perf_counter() - started
    rate = flops_per_model * SEEDS / stacked_s
    print(f"stacked: {SEEDS} models in {stacked_s:.2f} s ({stacked_s / SEEDS:.3f} s/model), {rate / 1e9:.1f} GFLOP/s, "
          f"probes {result.timing['probe_s']:.2f} s, training {result.timing['train_s']:.2f} s")
    print(f"efficiency={rate / peak:.3f} speedup={plain_s / (stacked_s / SEEDS):.1f} "
          f"probe_overhead={result.timing['probe_s'] / stacked_s:.3f}")


if __name__ == "__main__":
    main()
