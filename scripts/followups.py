"""Rules revival and dead_cost: train, edit the units, train on -> results/tables/<rule>.csv."""

import sys

import pandas as pd
import torch

from deadunits import followups
from deadunits.datasets import read_dataset
from deadunits.io import atomic_write

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
torch.set_num_threads(snakemake.threads)
p, data = snakemake.params, read_dataset(snakemake.input.data)
if snakemake.rule == "revival":
    table = followups.revival(data, p.spec, p.activations, p.init, p.settings)
else:
    relu = p.activations["relu"]
    table = pd.concat(
        [
            followups.ablation(data, p.spec["ablate"], relu, p.init, p.settings),
            followups.recovery(data, p.spec["recover"], relu, p.init, p.settings),
        ]
    )
(path,) = snakemake.output
atomic_write(path, lambda tmp: table.to_csv(tmp, index=False, float_format="%.6g"))
