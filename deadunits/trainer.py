"""Train a stack of MLPs (every learning rate x seed of one grid cell) and probe it every epoch.

Model k of the stack sees only its own seed's init and minibatch order and its own learning rate,
so training it inside the stack gives the same numbers as training it alone (tests/test_trainer.py).
"""
import ctypes
import math
import time
from dataclasses import dataclass, field

import pandas as pd
import torch
import torch.nn.functional as F

from deadunits import probes
from deadunits.activations import StackedPReLU
from deadunits.datasets import Dataset
from deadunits.stack import StackedMLP, model_generators


@dataclass
class TrainSettings:
    """Everything about training and probing that is not the architecture. Defaults match config.yaml."""

    epochs: int = 10
    batch_size: int = 64
    optimizer: str = "sgd"  # "sgd" (with momentum) or "adam"
    momentum: float = 0.9
    betas: tuple = (0.9, 0.999)
    target: dict = field(default_factory=lambda: {"metric": "error", "value": 0.1})
    probe_size: int = 512  # training examples (the first ones, fixed) that the unit probes look at
    frozen_threshold: float = 1e-3
    dormant_tau: float = 0.1
    explode_factor: float = 100.0  # a step "explodes" when a layer's gradient norm exceeds this x its norm at init
    ema: float = 0.9  # smoothing of the minibatch metric that decides steps_to_target

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer {self.optimizer!r}; expected 'sgd' or 'adam'")
        if self.target.get("metric") not in ("error", "loss"):
            raise ValueError(f"target metric {self.target.get('metric')!r}; expected 'error' or 'loss'")
        for name in ("epochs", "batch_size", "probe_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} = {getattr(self, name)}; expected a positive integer")


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` means CUDA when a GPU is present, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def keep_freed_memory():
    """Ask glibc to keep freed memory instead of returning it to the OS.

    A training step frees tens of MB of temporaries; by default glibc hands them back and the next step
    page-faults them in again, which cost about 10-20% of a step on a 2-core CPU. No-op elsewhere.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    libc.mallopt(m_trim_threshold, 1 << 30)
    libc.mallopt(m_mmap_threshold, 32 << 20)  # glibc's ceiling for this setting on 64-bit


def _per_model(mask, p):
    return mask.view((-1,) + (1,) * (p.dim() - 1))


class StackedSGD:
    """SGD with momentum (PyTorch's definition) and one learning rate per model.

    SGD with momentum is linear in the gradient, so model k's learning rate is folded into its loss
    (``loss_weight``) and PyTorch's fused SGD runs with lr=1: one pass over memory per parameter.
    A stopped (diverged) model gets its gradient and momentum zeroed, so it never moves again.
    """

    def __init__(self, params, lrs, settings: "TrainSettings"):
        self.params, self.loss_weight = list(params), lrs
        self.opt = torch.optim.SGD(self.params, lr=1.0, momentum=settings.momentum, fused=True)

    def step(self, active):
        if not bool(active.all()):  # a diverged model's gradients may be NaN
            for p in self.params:
                stopped = _per_model(~active, p)
                p.grad.masked_fill_(stopped, 0.0)
                buffer = self.opt.state.get(p, {}).get("momentum_buffer")
                if buffer is not None:
                    buffer.masked_fill_(stopped, 0.0)
        self.opt.step()


class StackedAdam:
    """Adam (PyTorch's definition) with one learning rate per model; stopped models get no update."""

    def __init__(self, params, lrs, settings: "TrainSettings"):
        self.params, self.lrs, self.betas = list(params), lrs, settings.betas
        self.loss_weight = torch.ones_like(lrs)
        self.first = [torch.zeros_like(p) for p in self.params]
        self.second = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    def step(self, active):
        self.t += 1
        b1, b2 = self.betas
        rate = self.lrs * active
        for p, m, v in zip(self.params, self.first, self.second):
            g = torch.where(_per_model(active, p), p.grad, 0.0)
            m.lerp_(g, 1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v / (1 - b2**self.t)).sqrt_().add_(1e-8)
            p.data.addcdiv_(_per_model(rate, p) * m, denom, value=-1 / (1 - b1**self.t))


OPTIMIZERS = {"sgd": StackedSGD, "adam": StackedAdam}


def loss_and_error(out, y, regression: bool):
    """Per-model mean loss and error rate (error is NaN for regression) over a (K, batch) block."""
    if regression:
        loss = (out - y).pow(2).mean(dim=(1, 2))
        return loss, torch.full_like(loss, math.nan)
    k, b, c = out.shape
    loss = F.cross_entropy(out.reshape(k * b, c), y.reshape(k * b), reduction="none").view(k, b).mean(1)
    return loss, (out.argmax(-1) != y).float().mean(1)


def _broadcast_targets(y, k):
    return y.unsqueeze(0).expand(k, *y.shape)


@dataclass
class StackResult:
    model: StackedMLP
    initial_state: dict
    runs: pd.DataFrame
    curves: pd.DataFrame
    layers: pd.DataFrame
    timing: dict


def train_stack(data: Dataset, *, depth: int, width: int, activation: dict, init: dict, lrs, seeds,
                settings: TrainSettings = TrainSettings(), device="cpu", log=None) -> StackResult:
    """Train every (lr, seed) pair as one stack; returns the model and per-run/epoch/layer tables."""
    device = resolve_device(device)
    keep_freed_memory()
    lr_of = [float(lr) for lr in lrs for _ in seeds]
    seed_of = [int(s) for _ in lrs for s in seeds]
    bad = [lr for lr in lr_of if not lr > 0]
    if bad:
        raise ValueError(f"learning rate {bad[0]} must be > 0")
    k = len(seed_of)
    model = StackedMLP(data.in_dim, data.out_dim, depth, width, activation, k)
    model.initialise(init, seed_of)
    model.to(device)
    initial_state = {name: t.detach().cpu().clone() for name, t in model.state_dict().items()}
    data = data.to(device)
    regression = data.is_regression
    s = settings
    data_generators = [model_generators(seed)[1] for seed in seed_of]
    optimizer = OPTIMIZERS[s.optimizer](model.parameters(), torch.tensor(lr_of, device=device), s)
    x_probe = data.x_train[: s.probe_size]
    y_probe = data.y_train[: s.probe_size]
    n_train, n_layers = len(data.x_train), depth + 1

    active = torch.ones(k, dtype=torch.bool, device=device)
    diverged_step = torch.full((k,), -1, dtype=torch.long, device=device)
    exploding_steps = torch.zeros(k, dtype=torch.long, device=device)
    steps_to_target = torch.full((k,), -1, dtype=torch.long, device=device)
    ema = torch.full((k,), math.nan, device=device)
    target_metric, target_value = s.target["metric"], float(s.target["value"])

    prelus = [a for a in model.acts if isinstance(a, StackedPReLU)]
    curves, layer_rows = [], []
    state = {"init_dead": None, "ever_dead": None}
    timing = {"probe_s": 0.0, "train_s": 0.0, "probe_examples": 0}  # examples each model's probes forward

    def probe(epoch, train_loss, train_err, grad_mean, grad_max):
        started = time.perf_counter()
        with torch.no_grad():
            out, pre = model(x_probe, keep=True)
            test_loss, test_err = loss_and_error(model(data.x_test), _broadcast_targets(data.y_test, k), regression)
            probe_loss, probe_err = loss_and_error(out, _broadcast_targets(y_probe, k), regression)
            if train_loss is None:  # at init the probe set stands in for the training set
                train_loss, train_err = probe_loss, probe_err
            collapsed = probes.collapsed(out)
            stats = []
            for act, (z, h) in zip(model.acts, pre):
                stats.append(probes.layer_stats(z, h, probes.derivative(act, z), s.frozen_threshold, s.dormant_tau))
            dead = torch.stack([st["dead_mask"] for st in stats])  # (L, K, W)
            if state["init_dead"] is None:
                state["init_dead"], state["ever_dead"] = dead, dead.clone()
            born = (dead & state["init_dead"]).float().mean(-1)
            died = (dead & ~state["init_dead"]).float().mean(-1)
            revived = (~dead & state["ever_dead"]).float().mean(-1)
            state["ever_dead"] |= dead
        cpu = lambda t: t.detach().cpu().numpy()  # noqa: E731
        curves.append(pd.DataFrame(dict(
            model=range(k), epoch=epoch, train_loss=cpu(train_loss), train_error=cpu(train_err),
            test_loss=cpu(test_loss), test_error=cpu(test_err), collapsed=cpu(collapsed), active=cpu(active))))
        columns = {name: torch.stack([st[name] for st in stats]) for name in stats[0] if name != "dead_mask"}
        columns.update(born_dead=born, died=died, revived=revived, grad_norm_mean=grad_mean[:depth],
                       grad_norm_max=grad_max[:depth])
        columns["prelu_slope"] = (torch.stack([a.weight.mean(dim=(1, 2)) for a in prelus]) if prelus
                                  else torch.full((depth, k), math.nan))
        table = pd.DataFrame({name: cpu(values).reshape(-1) for name, values in columns.items()})
        table.insert(0, "layer", (torch.arange(depth).repeat_interleave(k) + 1).numpy())
        table.insert(0, "epoch", epoch)
        table.insert(0, "model", torch.arange(k).repeat(depth).numpy())
        layer_rows.append(table)
        timing["probe_s"] += time.perf_counter() - started
        timing["probe_examples"] += len(x_probe) + len(data.x_test)
        return collapsed

    def layer_grad_norms():
        return torch.stack([torch.linalg.vector_norm(w.grad, dim=(1, 2)) for w in model.weights])  # (L+1, K)

    # gradient norms at init on a fixed batch: the first batch_size training examples, the same for all models
    model.zero_grad(set_to_none=False)
    out = model(data.x_train[: s.batch_size])
    loss, _ = loss_and_error(out, _broadcast_targets(data.y_train[: s.batch_size], k), regression)
    loss.sum().backward()
    init_grad = layer_grad_norms().detach()
    born_dead = probe(0, None, None, init_grad, init_grad).cpu().numpy()

    step = 0
    started = time.perf_counter()
    loss_area = torch.zeros(k, device=device)
    for epoch in range(1, s.epochs + 1):
        epoch_started = time.perf_counter()
        order = torch.stack([torch.randperm(n_train, generator=g) for g in data_generators]).to(device)
        sums = torch.zeros(2, k, device=device)
        counts = torch.zeros(k, device=device)
        grad_sum = torch.zeros(n_layers, k, device=device)
        grad_max = torch.zeros(n_layers, k, device=device)
        steps_in_epoch = 0
        for start in range(0, n_train, s.batch_size):
            idx = order[:, start : start + s.batch_size]
            xb, yb = data.x_train[idx], data.y_train[idx]
            out = model(xb)
            loss, err = loss_and_error(out, yb, regression)
            finite_loss = torch.isfinite(loss)
            model.zero_grad(set_to_none=True)
            torch.where(active & finite_loss, loss * optimizer.loss_weight, 0.0).sum().backward()
            loss = loss.detach()
            norms = layer_grad_norms() / optimizer.loss_weight
            finite = finite_loss & torch.isfinite(norms).all(0)
            newly_diverged = active & ~finite
            diverged_step = torch.where(newly_diverged, step, diverged_step)
            active = active & finite
            exploding_steps += (active & (norms > s.explode_factor * init_grad.clamp_min(1e-12)).any(0)).long()
            optimizer.step(active)
            norms = torch.where(active, norms, 0.0)
            grad_sum += norms
            grad_max = torch.maximum(grad_max, norms)
            metric = err if target_metric == "error" else loss
            ema = torch.where(torch.isnan(ema), metric, s.ema * ema + (1 - s.ema) * metric)
            reached = (steps_to_target < 0) & (ema <= target_value) & active
            steps_to_target = torch.where(reached, step + 1, steps_to_target)
            sums += torch.where(active, torch.stack([loss, err]), 0.0)
            counts += active
            steps_in_epoch += 1
            step += 1
        train_loss, train_err = sums / counts  # NaN for a model that diverged in its first epoch
        loss_area += torch.where(torch.isfinite(train_loss), train_loss, math.nan)
        timing["train_s"] += time.perf_counter() - epoch_started
        probe(epoch, train_loss, train_err, grad_sum / steps_in_epoch, grad_max)
        if log:
            elapsed = time.perf_counter() - started
            log(f"epoch {epoch}/{s.epochs}: {k} models ({int((~active).sum())} diverged), "
                f"{elapsed:.1f} s elapsed, about {elapsed / epoch * (s.epochs - epoch):.0f} s left")

    curves_df = pd.concat(curves, ignore_index=True)
    layers_df = pd.concat(layer_rows, ignore_index=True)
    started = time.perf_counter()
    final_loss, final_err, dead_full = _whole_training_set(model, data, s.probe_size)
    timing["probe_s"] += time.perf_counter() - started
    timing["probe_examples"] += n_train
    runs = _summarise_runs(curves_df, layers_df, s)
    runs.insert(1, "lr", lr_of)
    runs.insert(2, "seed", seed_of)
    runs["born_dead"] = born_dead
    runs["diverged"] = (diverged_step >= 0).cpu().numpy()
    runs["diverged_step"] = diverged_step.cpu().numpy()
    runs["exploding_steps"] = exploding_steps.cpu().numpy()
    runs["steps_to_target"] = torch.where(steps_to_target >= 0, steps_to_target.float(), math.nan).cpu().numpy()
    runs["loss_auc"] = (loss_area / s.epochs).cpu().numpy()
    runs["dead_final_full"] = dead_full.cpu().numpy()
    runs["final_train_loss"] = final_loss.cpu().numpy()
    runs["final_train_acc"] = 1 - final_err.cpu().numpy()
    timing["models"] = k
    return StackResult(model, initial_state, runs, curves_df, layers_df, timing)


def _whole_training_set(model: StackedMLP, data: Dataset, chunk: int):
    """Per-model loss, error and dead fraction over every training example, ``chunk`` inputs at a time.

    The per-epoch probes look at a subset, which counts a unit that fires on a few other training
    examples as dead; this measure is the one the literature means by "never activates".
    """
    k, n = model.n_models, len(data.x_train)
    loss_sum = torch.zeros(k, device=data.x_train.device)
    err_sum = torch.zeros_like(loss_sum)
    alive = None
    with torch.no_grad():
        for start in range(0, n, chunk):
            x, y = data.x_train[start : start + chunk], data.y_train[start : start + chunk]
            out, hidden = model(x, keep=True)
            loss, err = loss_and_error(out, _broadcast_targets(y, k), data.is_regression)
            loss_sum += loss * len(x)
            err_sum += err * len(x)
            fires = torch.stack([~probes.dead_units(z) for z, _ in hidden])  # (layers, K, W)
            alive = fires if alive is None else alive | fires
    return loss_sum / n, err_sum / n, (~alive).float().mean(dim=(0, 2))


def _summarise_runs(curves: pd.DataFrame, layers: pd.DataFrame, s: TrainSettings) -> pd.DataFrame:
    """One row per model: unit fractions over all hidden units at init and at the end, convergence epoch."""
    last = curves.epoch.max()
    by_epoch = layers.groupby(["model", "epoch"])[["dead", "frozen", "dormant", "sparsity", "born_dead", "died", "revived"]].mean()
    at_init, at_end = by_epoch.xs(0, level="epoch"), by_epoch.xs(last, level="epoch")
    runs = pd.DataFrame({"model": at_init.index})
    for name in ("dead", "frozen", "dormant", "sparsity"):
        runs[f"{name}_init"] = at_init[name].to_numpy()
        runs[f"{name}_final"] = at_end[name].to_numpy()
    runs["died_final"] = at_end["died"].to_numpy()
    runs["revived_final"] = at_end["revived"].to_numpy()
    end = curves[curves.epoch == last].set_index("model")
    runs["collapsed"] = end.collapsed.to_numpy()
    runs["final_test_loss"] = end.test_loss.to_numpy()
    runs["final_test_acc"] = 1 - end.test_error.to_numpy()
    metric = "train_error" if s.target["metric"] == "error" else "train_loss"
    hit = curves[(curves.epoch > 0) & (curves[metric] <= float(s.target["value"]))].groupby("model").epoch.min()
    runs["epochs_to_target"] = runs.model.map(hit).astype(float).to_numpy()
    return runs
