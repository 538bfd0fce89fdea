# Validate the config, then expand its experiments into cells and training jobs (deadunits/study.py).
import re
from pathlib import Path

from jsonschema import ValidationError
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from deadunits.figures import figure_fn
from deadunits.io import check_readable, keep_copies, restore_missing
from deadunits.preflight import plan, tables_needed
from deadunits.study import ConfigError, canonical, digest, cell_cost, init_for, resolve_config, training_jobs, variant_cells

# config.yaml, a config of its own (--configfile), or an overlay of config.yaml (extends:)
study = resolve_config(config, Path(workflow.basedir) / "config.yaml")
config.clear()
config.update(study)
try:
    validate(config, "../schemas/config.schema.yaml")
except WorkflowError as err:  # one line naming the bad entry, instead of the whole schema
    bad = err.__context__
    if not isinstance(bad, ValidationError):
        raise
    where = ".".join(map(str, bad.absolute_path)) or "the top level"
    raise ConfigError(f"config {where}: {bad.message}") from None
CELLS = plan(config)
JOBS = training_jobs(CELLS)
VARIANT_CELLS = variant_cells(config, CELLS)


wildcard_constraints:
    job="|".join(map(re.escape, JOBS)),


def job_dirs():
    """Each training job's output: a directory holding one folder per cell and the job's timing.json."""
    return expand("results/train/{job}", job=sorted(JOBS))  # sorted: key order is no change


def cell_files(name):
    return [f"results/train/{cell}/{name}" for cell in sorted(CELLS)]


TABLES = ("runs", "curves", "layers")
check_readable([f for t in TABLES for f in cell_files(f"{t}.parquet")] + [f"results/tables/{t}.parquet" for t in TABLES])


def train_resources(wildcards):
    """Per-job memory and runtime for cluster executors, from the job's largest and all its cells:
    about twice the peak memory and ten times the time measured on a CPU (docs/performance.md)."""
    gflop = [cell_cost(cell) / 1e9 for cell in JOBS[wildcards.job].values()]
    return {"mem_mb": 1000 + int(max(gflop) / 2), "runtime": 10 + int(sum(gflop) / 600)}


def followup_params(section):
    spec = config[section]
    names = spec.get("activations", ["relu"])
    return dict(spec=canonical(spec), activations={n: canonical(config["activations"][n]) for n in names},
                init=canonical(init_for(config, spec["init"], None)), settings=canonical(config.get("defaults", {})))


OPTIONAL_TABLES = {
    "born_dead": "results/tables/born_dead.csv",
    "lengths": "results/tables/init_lengths.csv",
    "cost": "results/tables/activation_cost.csv",
    "fix_cost": "results/tables/fix_cost.csv",
    "revival": "results/tables/revival.csv",
    "dead_cost": "results/tables/dead_cost.csv",
}


def optional_tables():
    """The tables beyond runs, curves and layers that this study's claims and figures read, by
    name: only their rules run (deadunits/preflight.py)."""
    return {name: OPTIONAL_TABLES[name] for name in tables_needed(config)}
