"""Rule train: one cell (a stack of every lr x seed of one grid point) -> its tables and weights."""
import logging

import torch

from deadunits import TrainSettings, save_stack, train_stack
from deadunits.datasets import read_dataset
from deadunits.io import provenance, write_parquet
from deadunits.trainer import resolve_device

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
torch.set_num_threads(snakemake.threads)
cell = snakemake.params.cell
device = resolve_device(snakemake.config.get("device", "auto"))
logging.info("cell %s: %d lrs x %d seeds on %s", snakemake.wildcards.cell, len(cell["lrs"]), len(cell["seeds"]), device)

data = read_dataset(snakemake.input.data)
result = train_stack(data, depth=cell["key"]["depth"], width=cell["key"]["width"],
                     activation=cell["activation_spec"], init=cell["init_spec"], lrs=cell["lrs"], seeds=cell["seeds"],
                     settings=TrainSettings(**cell["settings"]), device=device, log=logging.info)

run_id = [f"{snakemake.wildcards.cell}/m{m}" for m in result.runs.model]
by_model = dict(enumerate(run_id))
runs = result.runs.assign(run_id=run_id, **{k: v for k, v in cell["key"].items() if k != "seeds"},
                          **provenance(device), train_s=result.timing["train_s"], probe_s=result.timing["probe_s"])
write_parquet(runs, snakemake.output.runs)
write_parquet(result.curves.assign(run_id=result.curves.model.map(by_model)), snakemake.output.curves)
write_parquet(result.layers.assign(run_id=result.layers.model.map(by_model)), snakemake.output.layers)
save_stack(snakemake.output.weights, result.model, result.initial_state, {"cell": cell, "run_id": run_id})
logging.info("done: %d models, %.1f s training, %.1f s probes", len(runs), result.timing["train_s"], result.timing["probe_s"])
