"""Rule claims: the tables and the init measurements -> claims.csv (one verdict per row) and
claims_status.csv."""

import sys

from deadunits.claims import evaluate
from deadunits.io import atomic_write
from deadunits.tables import StudyTables

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
claims, status = evaluate(StudyTables.read(snakemake.input), snakemake.config)
atomic_write(
    snakemake.output.claims, lambda tmp: claims.to_csv(tmp, index=False, float_format="%.6g")
)
atomic_write(snakemake.output.status, lambda tmp: status.to_csv(tmp, index=False))
