"""Rule findings: tables, claims and job timings -> results/tables/findings.csv, the report's
measured sentences."""

import sys

from deadunits.findings import findings_table
from deadunits.io import atomic_write
from deadunits.tables import StudyTables

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
tables = StudyTables.read(
    snakemake.input, timings=snakemake.params.timings, benchmarks=snakemake.input.benchmarks
)
findings = findings_table(tables, snakemake.config)
atomic_write(snakemake.output.findings, lambda tmp: findings.to_csv(tmp, index=False))
