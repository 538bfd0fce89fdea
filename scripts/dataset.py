"""Rule dataset: build one configured dataset once and cache its standardised tensors."""
from deadunits.datasets import load_dataset, save_dataset

save_dataset(load_dataset(snakemake.params.spec), snakemake.output[0])
