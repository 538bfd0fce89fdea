"""Rule dataset: build one configured dataset once and cache its standardised tensors."""

import sys

from deadunits.datasets import load_dataset, save_dataset

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
save_dataset(load_dataset(snakemake.params.spec), snakemake.output[0])
