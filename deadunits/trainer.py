"""Train a stack of MLPs (every learning rate x seed of one grid cell) and probe it at init and at
the epochs of its probe schedule (log-spaced by default, always the last).

Model k of the stack sees only its own seed's init and minibatch order and its own learning rate,
so training it inside the stack gives the same numbers as training it alone (tests/test_trainer.py).
The pieces: ``Stepper`` takes optimizer steps and tracks what a step can tell (divergence, exploding
gradients, time to target); ``ProbeRecorder`` (deadunits/recorder.py) measures the units;
``train_stack`` drives both.
"""

import ctypes
import math
import time
from dataclasses import dataclass

import pandas as pd
import torch

from deadunits.datasets import Dataset
from deadunits.interventions import INTERVENTIONS, options_of
from deadunits.losses import loss_and_error, shared_targets
from deadunits.optimizers import OPTIMIZERS
from deadunits.outcomes import run_outcomes, summarise_runs
from deadunits.recorder import ProbeRecorder
from deadunits.settings import TrainSettings
from deadunits.stack import StackedMLP, model_generators


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` means CUDA when a GPU is present, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def keep_freed_memory():
    """Ask glibc to keep freed memory instead of returning it to the OS (process-wide: call it from
    a script).

    A training step frees tens of MB of temporaries; by default glibc hands them back and the next
    step page-faults them in again, which slows every step. No-op elsewhere.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    libc.mallopt(m_trim_threshold, 1 << 30)
    libc.mallopt(m_mmap_threshold, 32 << 20)  # glibc's ceiling for this setting on 64-bit


def stack_members(lrs, seeds):
    """(learning rate, seed) of each model of a stack, lr-major:
    model k = lr index * len(seeds) + seed index."""
    return [float(lr) for lr in lrs for _ in seeds], [int(s) for _ in lrs for s in seeds]


def layer_grad_norms(model):
    """(L+1, K): L2 norm of each layer's weight gradient, per model."""
    return torch.stack([torch.linalg.vector_norm(w.grad, dim=(1, 2)) for w in model.weights])


def gather(rows, idx):
    """``rows[idx]`` for a (K, B) index, each model's minibatch: index_select on the flat index
    takes the same rows faster than advanced indexing on the CPU."""
    return rows.index_select(0, idx.reshape(-1)).view(*idx.shape, *rows.shape[1:])


def init_grad_norms(model, data, batch_size):
    """Gradient norms at init on a fixed batch: the first ``batch_size`` training examples, the
    same for all models; a training-mode forward that leaves BatchNorm's running statistics as
    they were."""
    kept = [b.clone() for b in model.buffers()]
    model.train()
    model.zero_grad(set_to_none=False)
    out = model(data.x_train[:batch_size])
    loss, _ = loss_and_error(
        out, shared_targets(data.y_train[:batch_size], model.n_models), data.is_regression
    )
    loss.sum().backward()
    with torch.no_grad():
        for buffer, value in zip(model.buffers(), kept):
            buffer.copy_(value)
    return layer_grad_norms(model).detach()


class Stepper:
    """Optimizer steps for the whole stack, and the per-model trackers a step updates: divergence (a
    non-finite loss or gradient stops the model for good), exploding gradients, steps to target, and
    the epoch means of loss, error and gradient norms.

    A step does only what the next step needs (the divergence mask) and keeps its loss, error,
    gradient norms and mask in the epoch's trace; ``end_epoch`` digests the trace with a few batched
    ops instead of some twenty tiny ops per step.
    """

    def __init__(self, model, optimizer, settings, init_grad, regression):
        k, device = model.n_models, init_grad.device
        self.model, self.optimizer, self.s, self.regression = model, optimizer, settings, regression
        self.init_grad = init_grad
        self.explode_at = settings.explode_factor * init_grad.clamp_min(1e-12)
        self.target = float(settings.target["value"])
        self.active = torch.ones(k, dtype=torch.bool, device=device)
        self.diverged_step = torch.full((k,), -1, dtype=torch.long, device=device)
        self.exploding_steps = torch.zeros(k, dtype=torch.long, device=device)
        self.steps_to_target = torch.full((k,), -1, dtype=torch.long, device=device)
        self.ema = torch.full((k,), math.nan, device=device)
        self.loss_area = torch.zeros(k, device=device)
        self.epochs_to_target = torch.full((k,), math.nan, dtype=torch.float64, device=device)
        self.val_epochs_to_target = self.epochs_to_target.clone()
        self.val_loss = self.val_err = torch.full((k,), math.nan, device=device)
        self.step_count, self.epoch, self.trace = 0, 0, []

    def step(self, xb, yb):
        loss, err = loss_and_error(self.model(xb), yb, self.regression)
        self.model.zero_grad(set_to_none=True)
        # each model's gradient lands in its own slices: a NaN stays in its model, whose update is
        # masked below
        (loss * self.optimizer.loss_weight).sum().backward()
        loss = loss.detach()
        norms = layer_grad_norms(self.model) / self.optimizer.loss_weight
        # losses and norms are >= 0: finite iff each of them is
        self.active = self.active & torch.isfinite(loss + norms.sum(0))
        self.optimizer.step(self.active)
        self.trace.append((loss, err, norms, self.active))
        self.step_count += 1

    def end_epoch(self):
        """Digest the epoch's steps; returns (train loss, train error, mean and max gradient norm
        per layer)."""
        loss, err, norms, active = (
            torch.stack(column) for column in zip(*self.trace)
        )  # (S, K), norms (S, L, K)
        self.trace, first_step = [], self.step_count - len(loss)
        stopped = (self.diverged_step < 0) & ~active[-1]
        self.diverged_step[stopped] = (
            first_step + (~active[:, stopped]).int().max(0).indices
        )  # first masked step
        self.exploding_steps += (active & (norms > self.explode_at).any(1)).sum(0)
        norms = torch.where(active.unsqueeze(1), norms, 0.0)
        metric = err if self.s.target["metric"] == "error" else loss
        self._track_target(metric, active, first_step)
        train_loss, train_err = torch.where(
            active.unsqueeze(1), torch.stack([loss, err], 1), 0.0
        ).sum(0) / active.sum(0)
        self.epoch += 1  # a model that diverged in its first epoch has NaN means (0 / 0)
        self.loss_area += torch.where(torch.isfinite(train_loss), train_loss, math.nan)
        metric = train_err if self.s.target["metric"] == "error" else train_loss
        reached = torch.isnan(self.epochs_to_target) & (metric <= self.target)
        self.epochs_to_target = torch.where(reached, float(self.epoch), self.epochs_to_target)
        return train_loss, train_err, norms.sum(0) / len(norms), norms.amax(0)

    def _track_target(self, metric, active, first_step):
        """Steps to target: the first step whose moving average (``settings.ema``) of the
        minibatch metric is at or below the target, in a model still training."""
        smoothed = []
        for value in metric:
            self.ema = torch.where(
                torch.isnan(self.ema), value, self.s.ema * self.ema + (1 - self.s.ema) * value
            )
            smoothed.append(self.ema)
        hit = (torch.stack(smoothed) <= self.target) & active
        first = first_step + 1 + hit.int().max(0).indices
        self.steps_to_target = torch.where(
            (self.steps_to_target < 0) & hit.any(0), first, self.steps_to_target
        )

    def validate(self, x_val, y_val):
        """Loss and error on the validation split after the epoch, and the first epoch it meets
        the target: learning rates are chosen on these, never on the test set."""
        with torch.no_grad():
            self.val_loss, self.val_err = loss_and_error(
                self.model(x_val), shared_targets(y_val, len(self.active)), self.regression
            )
        metric = self.val_err if self.s.target["metric"] == "error" else self.val_loss
        reached = torch.isnan(self.val_epochs_to_target) & (metric <= self.target) & self.active
        self.val_epochs_to_target = torch.where(
            reached, float(self.epoch), self.val_epochs_to_target
        )

    def run_columns(self, epochs):
        """Per-model columns of runs: divergence, exploding steps, steps to target (NaN: censored
        at the budget: a diverged run did not reach the target within it either), loss AUC,
        validation numbers."""
        columns = dict(
            diverged=self.diverged_step >= 0,
            diverged_step=self.diverged_step,
            exploding_steps=self.exploding_steps,
            steps_to_target=torch.where(
                self.steps_to_target >= 0, self.steps_to_target.float(), math.nan
            ),
            budget_steps=torch.full_like(self.diverged_step, self.step_count),
            budget_epochs=torch.full_like(self.diverged_step, self.epoch),
            epochs_to_target=self.epochs_to_target,
            loss_auc=self.loss_area / epochs,
            val_epochs_to_target=self.val_epochs_to_target,
            final_val_loss=self.val_loss,
            final_val_acc=1 - self.val_err,
        )
        return {name: values.cpu().numpy() for name, values in columns.items()}


def _steps(model, stepper, data, order, settings, intervene, recorder):
    """One epoch of optimizer steps, in training mode, with the intervention every N steps; the
    model is left in eval mode for validation and probes."""
    model.train()
    for first in range(0, len(data.x_train), settings.batch_size):
        idx = order[:, first : first + settings.batch_size]
        stepper.step(gather(data.x_train, idx), gather(data.y_train, idx))
        if intervene and stepper.step_count % settings.intervention["every"] == 0:
            recorder.recycled += intervene(stepper.step_count, stepper.active)
    model.eval()


def _intervention(settings, model, optimizer, x_probe, init, seeds):
    """The settings' intervention as ``fn(step, active) -> recycled units``, or None."""
    if settings.intervention is None:
        return None
    options = options_of(settings.intervention)
    fn = INTERVENTIONS.get(settings.intervention["fn"])
    return lambda step, active: fn(model, optimizer, x_probe, init, seeds, step, active, **options)


@dataclass
class StackResult:
    model: StackedMLP
    initial_state: dict
    runs: pd.DataFrame
    curves: pd.DataFrame
    layers: pd.DataFrame
    timing: dict


@dataclass
class Stack:
    """A stack ready for its first step: the model, its stepper (optimizer and trackers), probe
    recorder and intervention (``fn(step, active) -> recycled units``, or None)."""

    model: StackedMLP
    stepper: "Stepper"
    recorder: ProbeRecorder
    intervene: object
    lr_of: list  # per model
    seed_of: list  # per model
    initial_state: dict


def build_stack(
    data: Dataset,
    *,
    depth,
    width,
    activation,
    init,
    lrs,
    seeds,
    settings,
    device,
    start=None,
    norm="none",
    residual=None,
) -> Stack:
    """Build, initialise and move to ``device`` every (lr, seed) model of a stack (``train_stack``
    takes the arguments)."""
    s = settings
    lr_of, seed_of = stack_members(lrs, seeds)
    bad = [lr for lr in lr_of if not lr > 0]
    if bad:
        raise ValueError(f"learning rate {bad[0]} must be > 0")
    model = StackedMLP(
        data.in_dim, data.out_dim, depth, width, activation, len(seed_of), norm, residual
    )
    model.initialise(init, seed_of)
    if start is not None:
        model.load_state_dict(start, strict=False)
    model.to(device)
    initial_state = {name: t.detach().cpu().clone() for name, t in model.state_dict().items()}
    data = data.to(device)
    optimizer = OPTIMIZERS[s.optimizer](model.parameters(), torch.tensor(lr_of, device=device), s)
    recorder = ProbeRecorder(model, data, s)
    init_grad = init_grad_norms(model, data, s.batch_size)
    stepper = Stepper(model, optimizer, s, init_grad, data.is_regression)
    model.eval()
    intervene = _intervention(s, model, optimizer, recorder.x_probe, init, seed_of)
    return Stack(model, stepper, recorder, intervene, lr_of, seed_of, initial_state)


def stack_args(cell: dict) -> dict:
    """The arguments of ``train_stack`` (and ``build_stack``) for a cell of the plan
    (deadunits/study.py)."""
    residual = cell["key"]["residual"]
    return dict(
        depth=cell["key"]["depth"],
        width=cell["widths"],
        activation=cell["activation_spec"],
        init=cell["init_spec"],
        lrs=cell["lrs"],
        seeds=cell["seeds"],
        settings=TrainSettings(**cell["settings"]),
        norm=cell["key"]["norm"],
        residual=None if residual == "plain" else float(residual),
    )


def train_stack(
    data: Dataset,
    *,
    depth: int,
    width: int,
    activation: dict,
    init: dict,
    lrs,
    seeds,
    settings: TrainSettings = TrainSettings(),
    device="cpu",
    log=None,
    start: dict | None = None,
    norm: str = "none",
    residual: float | None = None,
) -> StackResult:
    """Train every (lr, seed) pair as one stack; returns the model and per-run/epoch/layer tables.
    ``start`` is a stack's state dict to train on from instead of the init (parameters it lacks,
    such as PReLU slopes after a ReLU net, keep their init). ``norm`` and ``residual``: see
    ``StackedMLP``; the model is in training mode for its steps only, so BatchNorm's probes,
    validation and test use its running statistics."""
    device, s, stack_started = resolve_device(device), settings, time.perf_counter()
    data = data.to(device)
    stack = build_stack(
        data,
        depth=depth,
        width=width,
        activation=activation,
        init=init,
        lrs=lrs,
        seeds=seeds,
        settings=s,
        device=device,
        start=start,
        norm=norm,
        residual=residual,
    )
    model, stepper, recorder, intervene = (
        stack.model,
        stack.stepper,
        stack.recorder,
        stack.intervene,
    )
    lr_of, seed_of = stack.lr_of, stack.seed_of
    recorder.record(0, stepper.active, None, None, stepper.init_grad, stepper.init_grad, True)
    data_generators = [model_generators(seed)[1] for seed in seed_of]
    probe_epochs = set(s.probe_schedule())
    n_train, train_s, validate_s, started = len(data.x_train), 0.0, 0.0, time.perf_counter()
    for epoch in range(1, s.epochs + 1):
        epoch_started = time.perf_counter()
        order = torch.stack([torch.randperm(n_train, generator=g) for g in data_generators]).to(
            device
        )
        _steps(model, stepper, data, order, s, intervene, recorder)
        train_s += time.perf_counter() - epoch_started
        validate_started = time.perf_counter()
        epoch_stats = stepper.end_epoch()
        stepper.validate(data.x_val, data.y_val)
        validate_s += time.perf_counter() - validate_started
        if epoch in probe_epochs:
            recorder.record(epoch, stepper.active, *epoch_stats, whole_set=epoch == s.epochs)
        if log:
            elapsed = time.perf_counter() - started
            log(
                f"epoch {epoch}/{s.epochs}: {len(seed_of)} models "
                f"({int((~stepper.active).sum())} diverged), "
                f"{elapsed:.1f} s elapsed, about {elapsed / epoch * (s.epochs - epoch):.0f} s left"
            )
    curves, layers = recorder.tables()
    runs = summarise_runs(curves, layers)
    runs.insert(1, "lr", lr_of)
    runs.insert(2, "seed", seed_of)
    runs = runs.assign(weight_decay=float(s.weight_decay), **stepper.run_columns(s.epochs))
    baseline = data.constant_baseline()
    runs["outcome"] = run_outcomes(
        runs.diverged, runs.final_train_loss, 1 - runs.final_train_acc, baseline
    )
    runs["constant_loss"] = baseline[0]  # the best constant prediction's training loss
    timing = dict(
        probe_s=recorder.seconds,
        train_s=train_s,
        validate_s=validate_s,
        probe_examples=recorder.examples,
    )
    timing["setup_s"] = (
        time.perf_counter() - stack_started - recorder.seconds - train_s - validate_s
    )  # build, init, tables
    return StackResult(model, stack.initial_state, runs, curves, layers, timing)
