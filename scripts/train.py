"""Rule train: one job's cells (each a stack of every lr x seed of one grid point), one after
another in this process -> each cell's tables, weights and timing under results/train/<cell>/, and
the job's timing.json.

A cell that raises is recorded (runs.parquet rows with failed=True and the error), not fatal: the
other cells, the tables and the report go on, and the report lists the failure.
"""

import json
import logging
import time
from pathlib import Path

import pandas as pd
import psutil
import torch

from deadunits import save_stack, train_stack
from deadunits.datasets import read_dataset
from deadunits.io import atomic_write, provenance, write_parquet
from deadunits.study import plan_cells, training_jobs
from deadunits.trainer import keep_freed_memory, resolve_device, stack_args, stack_members

startup_s = (
    time.time() - psutil.Process().create_time()
)  # interpreter start and imports (torch: most of it)


def write_json(path, content):
    atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(content)))


def run_ids(cell_id, models):
    """Each model's run id, the same whether its cell trained or failed: <cell>/m<model>."""
    return [f"{cell_id}/m{m}" for m in models]


def train_cell(cell_id, cell, data, device, out):
    """Train one cell and write its files into ``out``; returns its timing
    (train_s, probe_s, ...)."""
    logging.info(
        "cell %s: %d lrs x %d seeds on %s", cell_id, len(cell["lrs"]), len(cell["seeds"]), device
    )
    stamp = dict(
        **{k: v for k, v in cell["key"].items() if k != "seeds"},
        **provenance(device),
        cell_spec=json.dumps({k: v for k, v in cell.items() if k != "key"}, sort_keys=True),
    )
    try:
        result = train_stack(data, **stack_args(cell), device=device, log=logging.info)
    except Exception as err:  # noqa: BLE001 - any failure of this cell is recorded, then the study goes on
        logging.exception("cell failed")
        error = f"{type(err).__name__}: {err}"
        lr_of, seed_of = stack_members(cell["lrs"], cell["seeds"])
        runs = pd.DataFrame({"model": range(len(lr_of)), "lr": lr_of, "seed": seed_of})
        runs = runs.assign(
            run_id=run_ids(cell_id, runs.model), failed=True, error=error, diverged=False, **stamp
        )
        write_parquet(runs, out / "runs.parquet")
        empty = pd.DataFrame({"model": pd.Series(dtype=int), "run_id": pd.Series(dtype=str)})
        write_parquet(empty, out / "curves.parquet")
        write_parquet(empty, out / "layers.parquet")
        atomic_write(
            out / "weights.pt",
            lambda tmp: torch.save({"error": error, "meta": {"cell": cell}}, tmp),
        )
        write_json(out / "timing.json", {"failed": error})
        return {}
    write_started = time.perf_counter()
    run_id = run_ids(cell_id, result.runs.model)
    by_model = dict(enumerate(run_id))
    write_parquet(
        result.runs.assign(run_id=run_id, failed=False, error="", **stamp), out / "runs.parquet"
    )
    write_parquet(
        result.curves.assign(run_id=result.curves.model.map(by_model)), out / "curves.parquet"
    )
    write_parquet(
        result.layers.assign(run_id=result.layers.model.map(by_model)), out / "layers.parquet"
    )
    save_stack(
        out / "weights.pt", result.model, result.initial_state, {"cell": cell, "run_id": run_id}
    )
    timing = {**result.timing, "write_s": time.perf_counter() - write_started}
    write_json(out / "timing.json", timing)
    logging.info(
        "done: %d models, %.1f s training, %.1f s probes",
        len(run_id),
        timing["train_s"],
        timing["probe_s"],
    )
    return timing


logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
torch.set_num_threads(snakemake.threads)
keep_freed_memory()
device = resolve_device(snakemake.config.get("device", "auto"))
load_started = time.perf_counter()
data = read_dataset(snakemake.input.data).to(
    device
)  # once per job: train_stack's own .to(device) is then a no-op
job_dir = Path(snakemake.output[0])
cells = training_jobs(plan_cells(snakemake.config))[snakemake.wildcards.job]
job_timing = {
    "startup_s": startup_s,
    "load_s": time.perf_counter() - load_started,
    "cells": len(cells),
}
for cell_id, cell in cells.items():
    for part, seconds in train_cell(
        cell_id, cell, data, device, job_dir / cell_id.rsplit("/", 1)[1]
    ).items():
        job_timing[part] = job_timing.get(part, 0) + seconds
write_json(job_dir / "timing.json", job_timing)  # last: the job's parts summed over its cells
