"""Rule figures: aggregated tables -> one PNG and one SVG per entry under config `figures:`."""
import sys

import matplotlib.pyplot as plt
import pandas as pd

from deadunits.figures import FIGURES, figure_fn
from deadunits.io import atomic_write, read_parquet

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
tables = {name: read_parquet(getattr(snakemake.input, name)) for name in ("runs", "curves", "layers")}
tables.update({name: pd.read_csv(getattr(snakemake.input, name)) for name in ("born_dead", "lengths", "cost")})
tables["runs"] = tables["runs"][~tables["runs"].failed]  # failed cells are listed in the report, not drawn
for (name, options), png, svg in zip(snakemake.config["figures"].items(), snakemake.output.png, snakemake.output.svg):
    fig = FIGURES.get(figure_fn(name, options))(tables, snakemake.config, (options or {}).get("experiment"))
    for path in (png, svg):
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=130, bbox_inches="tight", format=path.rsplit(".", 1)[1]))
    plt.close(fig)
