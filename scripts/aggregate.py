"""Rule aggregate: every cell's tables -> results/tables/{runs,curves,layers}.parquet and
summary.csv."""

import sys

import pandas as pd

from deadunits.io import atomic_write, check_columns, read_parquet, write_parquet
from deadunits.summary import CELL_KEYS, summary_table
from deadunits.tables import StudyTables

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
cells = {p: read_parquet(p) for p in snakemake.params.runs}
check_columns(cells, ["run_id", "seed", "lr", *CELL_KEYS])  # before anything is written
runs = pd.concat(cells.values(), ignore_index=True)
keys = runs[["run_id"] + CELL_KEYS + ["seed", "diverged", "outcome"]]
for name in ("curves", "layers"):
    table = pd.concat([read_parquet(p) for p in getattr(snakemake.params, name)], ignore_index=True)
    write_parquet(
        keys.merge(table.drop(columns="model"), on="run_id", validate="one_to_many"),
        getattr(snakemake.output, name),
    )
write_parquet(runs.drop(columns="model"), snakemake.output.runs)

summary = summary_table(StudyTables(all_runs=runs).runs)
atomic_write(
    snakemake.output.summary, lambda tmp: summary.to_csv(tmp, index=False, float_format="%.6g")
)
