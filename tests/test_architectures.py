"""Normalization and residual connections: a model in a stack equals it alone, a saved model
loads as plain PyTorch modules, and the monitor on it gives the pipeline's numbers."""

import pandas as pd
import pytest
import torch
from torch import nn

from deadunits import (
    DeadUnitMonitor,
    TrainSettings,
    load_dataset,
    load_model,
    save_stack,
    train_stack,
)
from deadunits.norms import StackedBatchNorm, StackedLayerNorm

ARCHITECTURES = [("layernorm", None), ("batchnorm", None), ("none", 0.5), ("batchnorm", 1.0)]


@pytest.fixture(scope="module")
def moons():
    return load_dataset({"fn": "moons", "n_samples": 400})


def run(data, lrs, seeds, norm="none", residual=None, epochs=3, **settings):
    """A depth-3 ReLU stack on ``data``; ``settings`` beyond the test defaults go to
    TrainSettings."""
    settings = TrainSettings(epochs=epochs, batch_size=32, probe_size=128, **settings)
    return train_stack(
        data,
        depth=3,
        width=16,
        activation={"fn": "relu"},
        init={"fn": "he_normal"},
        lrs=lrs,
        seeds=seeds,
        settings=settings,
        norm=norm,
        residual=residual,
    )


@pytest.mark.parametrize("norm, residual", ARCHITECTURES)
def test_a_normalized_or_residual_model_in_a_stack_equals_it_alone(moons, norm, residual):
    stack, alone = (
        run(moons, (0.02, 0.05), (0, 1), norm, residual),
        run(moons, (0.05,), (1,), norm, residual),
    )
    k = 3  # (lr 0.05, seed 1)
    for name, p in stack.model.state_dict().items():
        assert torch.allclose(p[k], alone.model.state_dict()[name][0], atol=1e-5), name
    columns = ["dead_final_full", "inactive_final", "final_test_loss", "final_val_acc"]
    got = stack.runs.loc[k, columns].astype(float).tolist()
    assert got == pytest.approx(alone.runs.loc[0, columns].astype(float).tolist(), abs=1e-5)


@pytest.mark.parametrize("norm, residual", ARCHITECTURES)
def test_load_model_and_the_monitor_give_the_pipelines_numbers(moons, tmp_path, norm, residual):
    result = run(moons, (0.05,), (0, 1), norm, residual)
    save_stack(tmp_path / "w.pt", result.model, result.initial_state, {})
    net = load_model(tmp_path / "w.pt", 1)
    kinds = {type(m) for m in net.modules()}
    assert {"layernorm": nn.LayerNorm, "batchnorm": nn.BatchNorm1d}.get(norm, nn.ReLU) in kinds
    x = moons.x_train[:128]  # the probe set
    assert torch.allclose(net(x).T, result.model.eval()(x)[1], atol=1e-5)
    with DeadUnitMonitor(net) as monitor:
        table = monitor.measure(x)
    last = result.layers[(result.layers.model == 1) & (result.layers.epoch == 3)]
    for column in ("inactive", "dead", "dormant"):
        assert table[column].tolist() == pytest.approx(last[column].tolist(), abs=1e-6), column


def test_batchnorm_trains_on_batch_statistics_and_predicts_with_running_ones():
    torch.manual_seed(0)
    z = torch.randn(2, 5, 32) * 3 + 1  # (models, units, batch)
    ours = StackedBatchNorm(2, 5)
    theirs = [nn.BatchNorm1d(5) for _ in range(2)]
    out = ours(z)  # one training step's forward: the running statistics move once
    for k in range(2):
        assert torch.allclose(out[k], theirs[k](z[k].T).T, atol=1e-5), "training mode"
        assert torch.allclose(ours.running_var[k, :, 0], theirs[k].running_var, atol=1e-6)
    ours.eval()
    for k in range(2):
        theirs[k].eval()
        assert torch.allclose(ours(z)[k], theirs[k](z[k].T).T, atol=1e-5), "eval mode"
    norm = StackedLayerNorm(2, 5)
    assert torch.allclose(norm(z)[1], nn.LayerNorm(5)(z[1].T).T, atol=1e-5)


@pytest.mark.parametrize(
    "arch, settings",
    [
        (dict(norm="batchnorm"), {}),
        (dict(norm="layernorm", residual=0.5), {}),
        ({}, dict(intervention={"fn": "redo", "every": 5, "tau": 0.1})),
        ({}, dict(intervention={"fn": "shrink_perturb", "every": 5, "shrink": 0.9, "noise": 0.1})),
        ({}, dict(optimizer="adamw", weight_decay=0.01)),
        ({}, dict(optimizer="sgd", weight_decay=0.01)),
    ],
)
def test_every_new_axis_gives_the_same_numbers_for_the_same_seed(moons, arch, settings):
    def once(seed):
        return run(moons, (0.1,), (seed,), epochs=2, **arch, **settings)

    a, b, other = once(3), once(3), once(4)
    for name in ("runs", "curves", "layers"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.runs.final_test_loss[0] != other.runs.final_test_loss[0]
