"""Rule fix_cost: time an optimizer step of each fix's stack against the plain net's, alone on the
machine."""

import sys

from deadunits.cost import fix_cost
from deadunits.io import atomic_write
from deadunits.study import plan_cells, variant_cells

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
config = snakemake.config
threads = config.get("threads", 1)  # each stack as the study trains it, with the machine to itself
cells = variant_cells(config, plan_cells(config))
table = fix_cost(cells, threads=threads, device=config.get("device", "auto"))
atomic_write(
    snakemake.output.fix_cost, lambda tmp: table.to_csv(tmp, index=False, float_format="%.6g")
)
