"""Rule claims: the tables and the init measurements -> results/tables/claims.csv, one verdict per row."""
import sys

import pandas as pd

from deadunits.claims import evaluate
from deadunits.io import atomic_write, read_parquet

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
tables = {name: read_parquet(getattr(snakemake.input, name)) for name in ("runs", "layers")}
tables.update({name: pd.read_csv(getattr(snakemake.input, name)) for name in ("born_dead", "lengths", "cost")})
claims = evaluate(tables, snakemake.config)
atomic_write(snakemake.output.claims, lambda tmp: claims.to_csv(tmp, index=False, float_format="%.6g"))
