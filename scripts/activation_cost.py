"""Rule activation_cost: time every activation's forward + backward on the same tensors, alone on
the machine."""

import sys

import torch

from deadunits.cost import activation_cost
from deadunits.io import atomic_write

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
torch.set_num_threads(snakemake.threads)
table = activation_cost(snakemake.config["activations"], threads=snakemake.threads)
atomic_write(snakemake.output.cost, lambda tmp: table.to_csv(tmp, index=False, float_format="%.6g"))
