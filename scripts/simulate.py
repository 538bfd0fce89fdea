"""Rule simulate: measurements at init, no training: born-dead probability and length variance."""

import sys

import torch

from deadunits import simulate
from deadunits.datasets import read_dataset
from deadunits.io import atomic_write

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
torch.set_num_threads(snakemake.threads)
options = snakemake.config["simulate"]
probe = read_dataset(snakemake.input.probe).x_train[: options["born_dead"].get("probe_size", 512)]
tables = {
    "born_dead": simulate.born_dead(
        options["born_dead"]["widths"],
        options["born_dead"]["depths"],
        options["born_dead"]["draws"],
        probe,
    ),
    "lengths": simulate.length_variance(
        options["lengths"]["widths"], options["lengths"]["depths"], options["lengths"]["draws"]
    ),
}
for name, table in tables.items():
    atomic_write(
        getattr(snakemake.output, name),
        lambda tmp: table.to_csv(tmp, index=False, float_format="%.6g"),
    )
