"""Benchmark the stacked trainer against its peers, warm and side by side in one run.

Reference cell: scikit-learn digits, 4 hidden layers of 128, ReLU, He init, SGD with momentum 0.9,
lr 0.05, batch 64, 10 epochs, 32 models. Contenders, each warmed up first (a first call pays for
one-time set-up), then timed in ``--repeats`` rounds of one run each (a drift in the shared
machine's speed hits all alike); each figure is the median:

* plain: the textbook loop, one model at a time (nn.Sequential, DataLoader, torch.optim.SGD);
* plain+probes: the same, plus the stacked trainer's other work at the same epochs: a validation
  pass after every epoch; DeadUnitMonitor and a test pass at every probed epoch, on the probe set,
  or at init and at the end on the whole training set;
* vmap+probes: a torch.func ensemble (stack_module_state + functional_call + vmap) with those
  probes;
* stacked: ``train_stack`` (its probes included; its training seconds are timed apart);
* floor: the training's batched matrix multiplies alone at the stacked shapes, back to back.

Then models/s and peak memory per model for stacks of ``--scaling`` sizes (each in a fresh process).

Last, the whole machine: each contender except the floor runs in every layout of processes x
threads that fills the machine's cores (a one-at-a-time loop is at its best as one single-threaded
process per core), warm, in interleaved rounds, over the same models in all; whole-machine
models/s are the models over the round's wall time.

    python scripts/bench_trainer.py [--device auto] [--repeats 3] [--plain-models 8]
                                    [--scaling 8,32,128,512]

The second-last line, ``one process, T threads: vs_plain=... vs_plain_probed=... vs_vmap=...
of_floor=... probe_overhead=...``, compares in this one process: stacked models/s over each peer's
with the same work (vs_plain: stacked training alone against the plain loop), floor seconds over
stacked training seconds, probe seconds over stacked total seconds. The last line, ``whole machine,
C cores (<each contender's best layout>): vs_plain_probed=... vs_vmap=...``, compares whole-machine
models/s, each contender at its best layout.
"""

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil
import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

from deadunits import DeadUnitMonitor, StackedMLP, TrainSettings, load_dataset, probes, train_stack
from deadunits.io import provenance
from deadunits.trainer import gather, keep_freed_memory, resolve_device

DEPTH, WIDTH, LR, BATCH, MOMENTUM = 4, 128, 0.05, 64, 0.9
RELU, HE = {"fn": "relu"}, {"fn": "he_normal"}


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def interleaved_medians(contenders, repeats, device):
    """Median wall seconds of each contender over ``repeats`` rounds, after one warm-up call each. A
    round runs every contender once, so a drift in the shared machine's speed hits all of them
    alike."""
    for run in contenders.values():
        run()
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, run in contenders.items():
            sync(device)
            started = time.perf_counter()
            run()
            sync(device)
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def plain_net(data, seed, device):
    stack = StackedMLP(data.in_dim, data.out_dim, DEPTH, WIDTH, RELU, 1)
    stack.initialise(HE, [seed])
    return stack.export(0).to(device)


def plain_probe(net, data, settings, whole):
    """What the stacked trainer measures at a probe, for one nn.Sequential: unit statistics (hooks)
    on the probe set (``whole``: on every training example) and a test pass."""
    x = data.x_train if whole else data.x_train[: settings.probe_size]
    with DeadUnitMonitor(net, dormant_tau=settings.dormant_tau) as monitor:
        monitor.measure(
            [x[i : i + settings.probe_size] for i in range(0, len(x), settings.probe_size)]
        )
    with torch.no_grad():
        F.cross_entropy(net(data.x_test), data.y_test)


def plain_loop(data, settings, n_models, device, probed):
    """The textbook loop, one model after another; with ``probed``, the stacked trainer's validation
    and probes."""
    schedule = settings.probe_schedule()
    for seed in range(n_models):
        net = plain_net(data, seed, device)
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(data.x_train, data.y_train),
            batch_size=BATCH,
            shuffle=True,
            generator=torch.Generator().manual_seed(seed),
        )
        opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
        if probed:
            plain_probe(net, data, settings, whole=True)
        for epoch in range(1, settings.epochs + 1):
            for x, y in loader:
                loss = F.cross_entropy(net(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
            if probed:
                with torch.no_grad():
                    F.cross_entropy(net(data.x_val), data.y_val)
            if probed and epoch in schedule:
                plain_probe(net, data, settings, whole=epoch == settings.epochs)


def vmap_ensemble(data, settings, n_models, device):
    """A torch.func ensemble: parameters stacked, one vmapped forward, the stacked trainer's
    validation and probes."""
    nets = [plain_net(data, seed, device) for seed in range(n_models)]
    params, buffers = stack_module_state(nets)
    base = copy.deepcopy(nets[0]).to("meta")
    forward = vmap(lambda p, b, x: functional_call(base, (p, b), (x,)))
    weights = [(params[f"{2 * i}.weight"], params[f"{2 * i}.bias"]) for i in range(DEPTH)]

    def probe(whole):
        x = data.x_train if whole else data.x_train[: settings.probe_size]
        with torch.no_grad():
            for start in range(0, len(x), settings.probe_size):
                h = x[start : start + settings.probe_size].T.expand(
                    n_models, -1, -1
                )  # (K, units, inputs)
                for w, b in weights:
                    z = torch.baddbmm(b.unsqueeze(2), w, h)
                    h = torch.relu(z)
                    probes.layer_stats(
                        z,
                        h,
                        probes.derivative(torch.relu, z),
                        settings.dead_threshold,
                        settings.dormant_tau,
                    )
            forward(params, buffers, data.x_test.expand(n_models, *data.x_test.shape))

    opt = torch.optim.SGD(params.values(), lr=LR, momentum=MOMENTUM)
    generators = [torch.Generator().manual_seed(seed) for seed in range(n_models)]
    schedule, n = settings.probe_schedule(), len(data.x_train)
    probe(whole=True)
    for epoch in range(1, settings.epochs + 1):
        order = torch.stack([torch.randperm(n, generator=g) for g in generators]).to(device)
        for start in range(0, n, BATCH):
            idx = order[:, start : start + BATCH]
            out = forward(params, buffers, gather(data.x_train, idx))
            targets = gather(data.y_train, idx).flatten()
            loss = F.cross_entropy(out.flatten(0, 1), targets, reduction="none").view(n_models, -1)
            opt.zero_grad()
            loss.mean(1).sum().backward()
            opt.step()
        with torch.no_grad():
            forward(params, buffers, data.x_val.expand(n_models, *data.x_val.shape))
        if epoch in schedule:
            probe(whole=epoch == settings.epochs)


def stacked(data, settings, n_models, device):
    result = train_stack(
        data,
        depth=DEPTH,
        width=WIDTH,
        activation=RELU,
        init=HE,
        lrs=[LR],
        seeds=range(n_models),
        settings=settings,
        device=device,
    )
    return result.timing


CONTENDERS = {  # name -> fn(data, settings, n_models, device): what one process of it runs
    "plain": lambda data, settings, n, device: plain_loop(data, settings, n, device, False),
    "plain+probes": lambda data, settings, n, device: plain_loop(data, settings, n, device, True),
    "vmap+probes": vmap_ensemble,
    "stacked": stacked,
}


def worker(name, threads, n_models, device, epochs):
    """One process of a contender at ``threads`` torch threads: warm up, say ``ready``, then run
    once per line on stdin and print its seconds."""
    torch.set_num_threads(threads)
    data = load_dataset({"fn": "digits"}).to(device)
    settings = TrainSettings(epochs=epochs, batch_size=BATCH)
    CONTENDERS[name](data, settings, n_models, device)
    print("ready", flush=True)
    for _ in sys.stdin:
        started = time.perf_counter()
        CONTENDERS[name](data, settings, n_models, device)
        sync(device)
        print(time.perf_counter() - started, flush=True)


def layouts(cores):
    """Every way to fill the machine: (processes, threads each) with processes x threads = cores."""
    return [(p, cores // p) for p in range(1, cores + 1) if cores % p == 0]


def machine_throughput(args, device, cores):
    """Whole-machine models/s of each contender in each layout, all warm and interleaved: a round
    starts every layout's processes together, and its wall time runs until the last one is done.
    Median of ``--repeats`` rounds."""
    groups = {}
    for name in CONTENDERS:
        total = args.plain_models if name.startswith("plain") else args.models
        for procs, threads in layouts(cores):
            per = max(1, total // procs)
            cmd = [sys.executable, __file__, "--device", str(device), "--epochs", str(args.epochs)]
            cmd += ["--worker", name, "--threads", str(threads), "--models", str(per)]
            spawn = [
                subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                for _ in range(procs)
            ]
            groups[name, procs, threads] = (spawn, per * procs)
    for spawn, _ in groups.values():
        for proc in spawn:
            assert proc.stdout.readline().strip() == "ready", "a worker failed to start"
    walls = {key: [] for key in groups}
    for _ in range(args.repeats):
        for key, (spawn, _) in groups.items():
            started = time.perf_counter()
            for proc in spawn:
                proc.stdin.write("go\n")
                proc.stdin.flush()
            for proc in spawn:
                proc.stdout.readline()
            walls[key].append(time.perf_counter() - started)
    for spawn, _ in groups.values():
        for proc in spawn:
            proc.stdin.close()
            proc.wait()
    return {key: models / statistics.median(walls[key]) for key, (_, models) in groups.items()}


def matmul_floor(data, settings, n_models, device):
    """One stacked training run's matrix multiplies alone, in its layout (weights (K, out, in),
    activations (K, units, batch)): per layer and step the forward W @ h, the weight gradient
    dz @ h^T and (past the first layer) the input gradient W^T @ dz, back to back; an epoch's last,
    partial minibatch at its size."""
    dims = [data.in_dim] + [WIDTH] * DEPTH + [data.out_dim]

    def products(batch):
        pairs = []
        for layer, (n_in, n_out) in enumerate(zip(dims, dims[1:])):
            h, w = (
                torch.randn(n_models, n_in, batch, device=device),
                torch.randn(n_models, n_out, n_in, device=device),
            )
            dz = torch.randn(n_models, n_out, batch, device=device)
            pairs += [(w, h), (dz, h.transpose(1, 2))] + (
                [(w.transpose(1, 2), dz)] if layer else []
            )
        return pairs

    full_steps, tail = divmod(len(data.x_train), BATCH)
    epoch = [products(BATCH)] * full_steps + ([products(tail)] if tail else [])

    def run():
        for _ in range(settings.epochs):
            for step in epoch:
                for a, b in step:
                    torch.bmm(a, b)

    return run


def scaling_child(n_models, device, epochs):
    """Train one stack in this fresh process; print models/s and peak memory per model as JSON."""
    data = load_dataset({"fn": "digits"}).to(device)
    settings = TrainSettings(epochs=epochs, batch_size=BATCH)
    stacked(data, TrainSettings(epochs=1, batch_size=BATCH), 2, device)  # warm-up
    before = psutil.Process().memory_info().rss
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
    started = time.perf_counter()
    stacked(data, settings, n_models, device)
    seconds = time.perf_counter() - started
    peak = torch.cuda.max_memory_allocated() if device.type == "cuda" else _max_rss()
    print(
        json.dumps(
            dict(
                models=n_models,
                models_per_s=n_models / seconds,
                peak_mb_per_model=(peak - before) / 2**20 / n_models,
            )
        )
    )


def _max_rss():
    """Peak resident memory of this process in bytes: Linux's VmHWM, which starts afresh at exec.
    (getrusage's ru_maxrss keeps the forking parent's size across exec, so a child of this big
    benchmark reported ~250 MB more than it ever used.)"""
    status = Path("/proc/self/status")
    if status.exists():
        line = next(line for line in status.read_text().splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--models", type=int, default=32, help="models per stack (the reference cell: 32)"
    )
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument(
        "--plain-models", type=int, default=8, help="models timed in the one-at-a-time loops"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="timed rounds (each contender once per round); medians count",
    )
    parser.add_argument(
        "--scaling", default="8,32,128,512", help="stack sizes for models/s and memory ('' to skip)"
    )
    parser.add_argument("--scaling-epochs", type=int, default=2)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=list(CONTENDERS), help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    device = resolve_device(args.device)
    keep_freed_memory()
    if args.child:
        return scaling_child(args.child, device, args.scaling_epochs)
    if args.worker:
        return worker(args.worker, args.threads, args.models, device, args.epochs)
    data = load_dataset({"fn": "digits"}).to(device)
    settings = TrainSettings(epochs=args.epochs, batch_size=BATCH)
    k, p = args.models, args.plain_models
    made_by = "; ".join(f"{key}={value}" for key, value in provenance(device).items())
    print(
        f"{made_by}; threads={torch.get_num_threads()} models={k} epochs={args.epochs} "
        f"probe epochs={settings.probe_schedule()} repeats={args.repeats} (median)"
    )
    timings = []  # the stacked trainer's own split of each run: training, probes
    seconds = interleaved_medians(
        dict(
            plain=lambda: plain_loop(data, settings, p, device, probed=False),
            plain_probed=lambda: plain_loop(data, settings, p, device, probed=True),
            vmapped=lambda: vmap_ensemble(data, settings, k, device),
            total=lambda: timings.append(stacked(data, settings, k, device)),
            floor=matmul_floor(data, settings, k, device),
        ),
        args.repeats,
        device,
    )
    plain, plain_probed = seconds["plain"] / p, seconds["plain_probed"] / p
    vmapped, total, floor = seconds["vmapped"] / k, seconds["total"] / k, seconds["floor"] / k
    train = statistics.median(t["train_s"] for t in timings[1:]) / k
    probe = statistics.median(t["probe_s"] for t in timings[1:]) / k
    for name, value in [
        ("plain", plain),
        ("plain+probes", plain_probed),
        ("vmap+probes", vmapped),
        ("stacked", total),
        ("stacked training only", train),
        ("stacked probes", probe),
        ("matmul floor", floor),
    ]:
        print(f"{name:>22}: {value:.4f} s/model ({1 / value:.1f} models/s)")
    for size in [int(s) for s in args.scaling.split(",") if s]:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--device",
                str(device),
                "--child",
                str(size),
                "--scaling-epochs",
                str(args.scaling_epochs),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"stack of {size:>4}: {row['models_per_s']:.1f} models/s "
            f"({args.scaling_epochs} epochs each), "
            f"peak memory {row['peak_mb_per_model']:.2f} MB/model"
        )
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    rates = machine_throughput(args, device, cores)
    best = {}
    for (name, procs, threads), rate in rates.items():
        print(f"{name:>22}: {procs} processes x {threads} threads: {rate:.1f} models/s")
        if rate > best.get(name, (0,))[0]:
            best[name] = (rate, f"{procs}x{threads}")
    print(
        f"one process, {torch.get_num_threads()} threads: vs_plain={plain / train:.2f} "
        f"vs_plain_probed={plain_probed / total:.2f} vs_vmap={vmapped / total:.2f} "
        f"of_floor={floor / train:.2f} probe_overhead={probe / total:.3f}"
    )
    layouts_used = ", ".join(f"{name} {layout}" for name, (_, layout) in best.items())
    stacked_rate = best["stacked"][0]
    print(
        f"whole machine, {cores} cores ({layouts_used}): "
        f"vs_plain_probed={stacked_rate / best['plain+probes'][0]:.2f} "
        f"vs_vmap={stacked_rate / best['vmap+probes'][0]:.2f}"
    )


if __name__ == "__main__":
    main()
