"""Rule figures: aggregated tables -> one PNG, one SVG and one caption (.rst) per entry under
config `figures:`."""

import sys

import matplotlib.pyplot as plt

from deadunits.figures import FIGURES, caption, figure_fn
from deadunits.io import atomic_write
from deadunits.tables import StudyTables

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
tables = StudyTables.read(snakemake.input)
outputs = zip(
    snakemake.config["figures"].items(),
    snakemake.output.png,
    snakemake.output.svg,
    snakemake.output.captions,
)
for (name, options), png, svg, rst in outputs:
    fn = figure_fn(name, options)
    fig = FIGURES.get(fn)(tables, snakemake.config, (options or {}).get("experiment"))
    for path in (png, svg):
        atomic_write(
            path,
            lambda tmp: fig.savefig(
                tmp, dpi=130, bbox_inches="tight", format=path.rsplit(".", 1)[1]
            ),
        )
    plt.close(fig)
    atomic_write(rst, lambda tmp: open(tmp, "w").write(caption(fn) + "\n"))
