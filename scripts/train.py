"""Rule train: one cell (a stack of every lr x seed of one grid point) -> its tables, weights and timing.

A cell that raises is recorded (runs.parquet rows with failed=True and the error), not fatal: the
other cells, the tables and the report go on, and the report lists the failure.
"""
import json
import logging
import time

import pandas as pd
import psutil
import torch

from deadunits import TrainSettings, save_stack, train_stack
from deadunits.datasets import read_dataset
from deadunits.io import atomic_write, provenance, write_parquet
from deadunits.trainer import keep_freed_memory, resolve_device, stack_members

startup_s = time.time() - psutil.Process().create_time()  # interpreter start and imports (torch: most of it)

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
torch.set_num_threads(snakemake.threads)
keep_freed_memory()
cell, cell_id = snakemake.params.cell, snakemake.wildcards.cell
device = resolve_device(snakemake.config.get("device", "auto"))
logging.info("cell %s: %d lrs x %d seeds on %s", cell_id, len(cell["lrs"]), len(cell["seeds"]), device)
stamp = dict(**{k: v for k, v in cell["key"].items() if k != "seeds"}, **provenance(device),
             cell_spec=json.dumps({k: v for k, v in cell.items() if k != "key"}, sort_keys=True))

try:
    load_started = time.perf_counter()
    data = read_dataset(snakemake.input.data)
    load_s = time.perf_counter() - load_started
    result = train_stack(data, depth=cell["key"]["depth"], width=cell["widths"],
                         activation=cell["activation_spec"], init=cell["init_spec"], lrs=cell["lrs"],
                         seeds=cell["seeds"], settings=TrainSettings(**cell["settings"]), device=device, log=logging.info)
except Exception as err:  # noqa: BLE001 - any failure of this cell is recorded, then the study goes on
    logging.exception("cell failed")
    error = f"{type(err).__name__}: {err}"
    lr_of, seed_of = stack_members(cell["lrs"], cell["seeds"])
    runs = pd.DataFrame({"model": range(len(lr_of)), "lr": lr_of, "seed": seed_of})
    runs = runs.assign(run_id=[f"{cell_id}/m{m}" for m in runs.model], failed=True, error=error, diverged=False, **stamp)
    write_parquet(runs, snakemake.output.runs)
    empty = pd.DataFrame({"model": pd.Series(dtype=int), "run_id": pd.Series(dtype=str)})
    write_parquet(empty, snakemake.output.curves)
    write_parquet(empty, snakemake.output.layers)
    atomic_write(snakemake.output.weights, lambda tmp: torch.save({"error": error, "meta": {"cell": cell}}, tmp))
    atomic_write(snakemake.output.timing, lambda tmp: open(tmp, "w").write(json.dumps({"failed": error, "startup_s": startup_s})))
else:
    write_started = time.perf_counter()
    run_id = [f"{cell_id}/m{m}" for m in result.runs.model]
    by_model = dict(enumerate(run_id))
    write_parquet(result.runs.assign(run_id=run_id, failed=False, error="", **stamp), snakemake.output.runs)
    write_parquet(result.curves.assign(run_id=result.curves.model.map(by_model)), snakemake.output.curves)
    write_parquet(result.layers.assign(run_id=result.layers.model.map(by_model)), snakemake.output.layers)
    save_stack(snakemake.output.weights, result.model, result.initial_state, {"cell": cell, "run_id": run_id})
    timing = {**result.timing, "startup_s": startup_s, "load_s": load_s, "write_s": time.perf_counter() - write_started}
    atomic_write(snakemake.output.timing, lambda tmp: open(tmp, "w").write(json.dumps(timing)))
    logging.info("done: %d models, %.1f s training, %.1f s probes", len(run_id), result.timing["train_s"],
                 result.timing["probe_s"])
