"""deadunits: train stacks of small MLPs and measure which units die, how fast they learn, how
gradients behave."""

from deadunits.activations import ACTIVATIONS, build_activation
from deadunits.datasets import DATASETS, Dataset, load_dataset
from deadunits.inits import INITS, build_init
from deadunits.monitor import DeadUnitMonitor
from deadunits.stack import StackedMLP, load_model, save_stack
from deadunits.trainer import TrainSettings, train_stack

__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "INITS",
    "Dataset",
    "DeadUnitMonitor",
    "StackedMLP",
    "TrainSettings",
    "build_activation",
    "build_init",
    "load_dataset",
    "load_model",
    "save_stack",
    "train_stack",
]
