"""Every registry entry builds and trains; bad names and arguments fail with errors that say what is
known."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from deadunits import (
    ACTIVATIONS,
    DATASETS,
    INITS,
    StackedMLP,
    build_activation,
    build_init,
    load_dataset,
)
from deadunits.activations import check_activation, export_activation
from deadunits.datasets import read_idx

ACTIVATION_SPECS = [{"fn": name} for name in ACTIVATIONS] + [
    {"fn": "leaky_relu", "negative_slope": 0.1},
    {"fn": "prelu", "shared": True},
    {"fn": "torch.nn:Hardswish"},
    {"fn": "torch.nn.functional:hardswish"},
]


@pytest.mark.parametrize("spec", ACTIVATION_SPECS, ids=lambda s: "-".join(map(str, s.values())))
def test_activation_trains_in_a_stack(spec):
    model = StackedMLP(3, 2, depth=2, width=5, activation=spec, n_models=4)
    model.initialise({"fn": "he_normal"}, range(4))
    out = model(torch.randn(4, 7, 3))
    out.pow(2).sum().backward()
    assert out.shape == (4, 2, 7)  # (models, outputs, batch)
    assert all(torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0 for p in model.weights)


@pytest.mark.parametrize("shared", [False, True])
def test_stacked_prelu_equals_each_models_exported_prelu(shared):
    """Same outputs and gradients as nn.PReLU, model by model, exact zeros in the input included."""
    stacked = build_activation({"fn": "prelu", "shared": shared}, n_models=3, width=4)
    with torch.no_grad():
        stacked.weight.copy_(torch.rand_like(stacked.weight))
    z = torch.randn(3, 4, 6)
    z[:, :, 0] = 0.0
    z.requires_grad_(True)
    upstream = torch.randn(3, 4, 6)
    stacked(z).backward(upstream)
    for i in range(3):
        alone, zi = (
            export_activation(stacked, i),
            z.detach()[i].T.clone().requires_grad_(True),
        )  # (batch, units)
        out = alone(zi)
        out.backward(upstream[i].T)
        assert torch.equal(out.T, stacked(z)[i]) and torch.equal(zi.grad.T, z.grad[i])
        assert torch.allclose(
            alone.weight.grad,
            stacked.weight.grad[i].sum(-1) if not shared else stacked.weight.grad[i].reshape(1),
            atol=1e-6,
        )


@pytest.mark.parametrize("name", sorted(INITS))
def test_init_fills_weights_and_runs(name):
    model = StackedMLP(6, 2, depth=3, width=8, activation={"fn": "relu"}, n_models=2)
    model.initialise({"fn": name}, [0, 1])
    assert all(torch.isfinite(w).all() for w in model.weights)
    assert not torch.equal(model.weights[1][0], model.weights[1][1]), "two seeds gave the same init"
    model(torch.randn(5, 6)).sum().backward()


def test_init_scale_and_bias_options():
    fill = build_init({"fn": "he_normal", "scale": 3.0, "bias": 0.1})
    w, b = torch.empty(2000, 50), torch.empty(2000)
    fill(w, b, torch.Generator().manual_seed(0))
    assert w.std().item() == pytest.approx(3.0 * (2 / 50) ** 0.5, rel=0.02)
    assert torch.all(b == 0.1)


def test_he_and_lecun_and_xavier_variances():
    for name, var in [
        ("he_normal", 2 / 100),
        ("lecun_normal", 1 / 100),
        ("xavier_normal", 2 / 300),
    ]:
        w, b = torch.empty(200, 100), torch.empty(200)
        build_init({"fn": name})(w, b, torch.Generator().manual_seed(1))
        assert w.var().item() == pytest.approx(var, rel=0.03), name
        assert torch.all(b == 0)


def test_rai_statistics():
    """Lu et al.: N(0, 0.6007^2/fan_in) on [W|b], exactly one Beta(2,1) entry per row (mean 2/3,
    var 1/18)."""
    fan_in, fan_out = (
        2500,
        4000,
    )  # wide rows: the normal entries (std 0.012) stay far below the Beta entry
    w, b = torch.empty(fan_out, fan_in), torch.empty(fan_out)
    build_init({"fn": "rai"})(w, b, torch.Generator().manual_seed(0))
    v = torch.cat([w, b[:, None]], 1)
    beta = v.max(1).values
    assert beta.mean().item() == pytest.approx(2 / 3, abs=0.01)
    assert beta.var().item() == pytest.approx(1 / 18, abs=0.003)
    assert (v > 0.1).sum(1).le(1).all(), "at most one large entry per row"
    others = v.sort(1).values[:, :-1]
    assert others.std().item() == pytest.approx(0.6007 / fan_in**0.5, rel=0.02)
    small = torch.empty(30000, 4), torch.empty(30000)
    build_init({"fn": "rai"})(*small, torch.Generator().manual_seed(1))
    chosen = torch.cat([small[0], small[1][:, None]], 1).argmax(1)
    share = torch.bincount(chosen, minlength=5).float() / 30000
    assert share[-1].item() == pytest.approx(0.2, abs=0.03), (
        "the bias column is as likely as any weight"
    )


def test_unknown_names_list_the_known_ones():
    with pytest.raises(KeyError, match="unknown activation 'relu2'.*leaky_relu.*prelu"):
        build_activation({"fn": "relu2"})
    with pytest.raises(KeyError, match="puts a colon before the name: 'torch.nn:Mish'"):
        build_activation({"fn": "torch.nn.Mish"})
    with pytest.raises(KeyError, match="unknown init 'kaiming'.*he_normal"):
        build_init({"fn": "kaiming"})
    with pytest.raises(KeyError, match="unknown dataset 'cifar'.*digits"):
        load_dataset({"fn": "cifar"})


def test_bad_arguments_name_the_argument():
    with pytest.raises(
        TypeError, match="activation 'leaky_relu' takes no argument 'slope'.*negative_slope"
    ):
        build_activation({"fn": "leaky_relu", "slope": 0.1})
    with pytest.raises(TypeError, match="init 'rai' takes no argument 'gain'"):
        build_init({"fn": "rai", "gain": 2})
    with pytest.raises(TypeError, match="dataset 'digits' takes no argument 'size'"):
        load_dataset({"fn": "digits", "size": 3})
    with pytest.raises(ValueError, match="cannot import 'torch.nn:NoSuchThing'"):
        build_activation({"fn": "torch.nn:NoSuchThing"})
    with pytest.raises(ValueError, match="learned parameters"):
        build_activation({"fn": "torch.nn:PReLU"})


@pytest.mark.parametrize(
    "name", ["digits", "mnist1d", "mnist5k", "moons", "circles", "spirals", "abs1d"]
)
def test_dataset_shapes_and_standardisation(name):
    d = load_dataset({"fn": name})
    assert d.x_train.dtype == torch.float32 and d.x_train.shape[1] == d.x_test.shape[1] == d.in_dim
    assert len(d.x_train) == len(d.y_train) and len(d.x_test) == len(d.y_test)
    if d.is_regression:
        assert d.y_train.shape == (len(d.x_train), 1)
    else:
        assert set(d.y_train.unique().tolist()) == set(range(d.n_classes))
        mean, std = d.x_train.mean(0), d.x_train.std(0)
        assert mean.abs().max() < 1e-4, "standardised with training statistics"
        assert ((std - 1).abs() < 1e-2).logical_or(std == 0).all()
    again = load_dataset({"fn": name})
    assert torch.equal(d.x_train, again.x_train), "deterministic"


def test_known_dataset_sizes_and_a_validation_split_carved_from_training():
    mnist1d = load_dataset({"fn": "mnist1d"})
    assert (
        mnist1d.x_train.shape == (3400, 40)
        and mnist1d.x_val.shape == (600, 40)
        and len(mnist1d.x_test) == 1000
    )
    assert load_dataset({"fn": "mnist5k"}).in_dim == 784
    digits = load_dataset({"fn": "digits"})
    assert len(digits.x_train) + len(digits.x_val) == 1437 and len(digits.x_val) == 216
    assert torch.bincount(digits.y_val).min() >= 20, "stratified: every class held out"
    shared = (digits.x_val[:, None, :] == digits.x_train[None, :, :]).all(-1).any(1)
    assert not shared.any(), "no validation image is a training image"


def _write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_idx_loader_reads_local_files(tmp_path):
    rng = np.random.default_rng(0)
    for stem, n in [("train", 30), ("t10k", 10)]:
        _write_idx(tmp_path / f"{stem}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        _write_idx(tmp_path / f"{stem}-labels-idx1-ubyte", np.arange(n) % 10)
    d = load_dataset({"fn": "idx", "root": str(tmp_path), "name": "fashion"})
    assert (
        d.x_train.shape == (25, 784)
        and d.x_val.shape == (5, 784)
        and d.x_test.shape == (10, 784)
        and d.n_classes == 10
    )
    assert d.y_test.tolist() == list(range(10))


def test_idx_loader_errors_name_the_missing_file_and_bad_header(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"missing {tmp_path}/train-images-idx3-ubyte"):
        load_dataset({"fn": "idx", "root": str(tmp_path)})
    (tmp_path / "bad").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01")
    with pytest.raises(ValueError, match="header says \\(5,\\) but holds 1 values"):
        read_idx(tmp_path / "bad")


def test_registries_are_complete():
    assert {
        "relu",
        "leaky_relu",
        "prelu",
        "elu",
        "selu",
        "gelu",
        "silu",
        "tanh",
        "sigmoid",
        "softplus",
    } <= set(ACTIVATIONS)
    assert {
        "he_normal",
        "he_uniform",
        "xavier_normal",
        "xavier_uniform",
        "lecun_normal",
        "orthogonal",
        "torch_default",
        "rai",
    } <= set(INITS)
    assert {"digits", "mnist1d", "mnist5k", "moons", "abs1d", "idx"} <= set(DATASETS)


def test_the_library_imports_without_the_pipeline_packages():
    """`pip install deadunits` without the `pipeline` extra: the library, the monitor and the
    config check import, with Snakemake, papermill, matplotlib and seaborn unavailable."""
    blocked = ("snakemake", "papermill", "matplotlib", "seaborn", "jupytext", "nbconvert")
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {blocked!r}:\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import deadunits, deadunits.study, deadunits.monitor, deadunits.tables\n"
        "import deadunits.claims, deadunits.findings, deadunits.figures\n"
        "from deadunits.settings import INTERVENTION_NAMES, OPTIMIZER_NAMES\n"
        "print(json.dumps([sorted(OPTIMIZER_NAMES), sorted(INTERVENTION_NAMES)]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", "import json\n" + code], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    from deadunits.interventions import INTERVENTIONS
    from deadunits.optimizers import OPTIMIZERS

    names = json.loads(out.stdout)
    assert names == [sorted(OPTIMIZERS), sorted(INTERVENTIONS)], "the settings name every entry"


def test_an_activation_that_is_not_elementwise_is_refused():
    with pytest.raises(ValueError, match="'torch.nn:Softmax' is not elementwise"):
        check_activation({"fn": "torch.nn:Softmax", "dim": 1})
    check_activation({"fn": "torch.nn:Mish"})  # elementwise, from torch: accepted
