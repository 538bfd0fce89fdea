# Validate the config, then expand its experiments into training cells (deadunits/study.py).
from pathlib import Path

from snakemake.utils import validate

from deadunits.figures import figure_fn
from deadunits.io import check_readable
from deadunits.study import canonical, cell_cost, plan_cells, resolve_config

# config.yaml, a config of its own (--configfile), or an overlay of config.yaml (extends:)
study = resolve_config(config, Path(workflow.basedir) / "config.yaml")
config.clear()
config.update(study)
validate(config, "../schemas/config.schema.yaml")
CELLS = plan_cells(config)


def train_outputs(name):
    return expand("results/train/{cell}/{name}", cell=CELLS, name=name)


check_readable(train_outputs("runs.parquet") + [f"results/tables/{t}.parquet" for t in ("runs", "curves", "layers")])


def train_resources(wildcards):
    """Per-job memory and runtime for cluster executors, scaled by the cell's size."""
    gflop = cell_cost(CELLS[wildcards.cell]) / 1e9
    return {"mem_mb": 2000 + int(gflop * 2), "runtime": 10 + int(gflop / 600)}
