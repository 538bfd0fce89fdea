"""Rule findings: tables, claims and job timings -> results/tables/findings.csv, the report's
measured sentences."""

import sys
from pathlib import Path

from deadunits.findings import findings_table
from deadunits.io import atomic_write
from deadunits.tables import StudyTables

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
tables = StudyTables.read(
    snakemake.input, timings=snakemake.params.timings, benchmarks=snakemake.input.benchmarks
)
captions = {
    Path(path).stem: Path(path).read_text().strip().replace("\\|", "|")
    for path in snakemake.input.captions
}
findings = findings_table(tables, snakemake.config, captions)
atomic_write(snakemake.output.findings, lambda tmp: findings.to_csv(tmp, index=False))
