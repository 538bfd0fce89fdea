"""Rule findings: tables, claims and job timings -> results/tables/findings.csv, the report's
measured sentences."""

import json
import sys
from pathlib import Path

import pandas as pd

from deadunits.findings import findings_table
from deadunits.io import atomic_write, read_tables

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
tables = read_tables(snakemake.input)
tables["all_runs"] = tables.pop("runs")
tables["trained_layers"] = tables["layers"][tables["layers"].outcome == "trained"]
tables["bench"] = pd.concat([pd.read_csv(path, sep="\t") for path in snakemake.input.benchmarks])
tables["timing"] = pd.DataFrame(
    [json.loads(Path(path).read_text()) for path in snakemake.params.timings]
)
findings = findings_table(tables, snakemake.config)
atomic_write(snakemake.output.findings, lambda tmp: findings.to_csv(tmp, index=False))
