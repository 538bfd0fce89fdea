# Validate the config, then expand its experiments into cells and training jobs (deadunits/study.py).
import re
from pathlib import Path

from snakemake.utils import validate

from deadunits.figures import figure_fn
from deadunits.io import check_readable
from deadunits.preflight import plan
from deadunits.study import canonical, cell_cost, init_for, resolve_config, training_jobs

# config.yaml, a config of its own (--configfile), or an overlay of config.yaml (extends:)
study = resolve_config(config, Path(workflow.basedir) / "config.yaml")
config.clear()
config.update(study)
validate(config, "../schemas/config.schema.yaml")
CELLS = plan(config)
JOBS = training_jobs(CELLS)


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
    """Per-job memory and runtime for cluster executors, scaled by the size of the job's largest and all its cells."""
    gflop = [cell_cost(cell) / 1e9 for cell in JOBS[wildcards.job].values()]
    return {"mem_mb": 2000 + int(max(gflop) * 2), "runtime": 10 + int(sum(gflop) / 600)}


def followup_params(section):
    spec = config[section]
    names = spec.get("activations", ["relu"])
    return dict(spec=canonical(spec), activations={n: canonical(config["activations"][n]) for n in names},
                init=canonical(init_for(config, spec["init"], None)), settings=canonical(config.get("defaults", {})))


def followup_tables():
    """The follow-up tables of this config, by name, for the rules that read them."""
    return {name: f"results/tables/{name}.csv" for name in ("revival", "dead_cost") if name in config}
