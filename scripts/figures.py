"""Rule figures: aggregated tables -> one PNG, one SVG and one caption (.rst) per entry under
config `figures:`; a figure with nothing to draw gets a placeholder and the caption says why."""

import sys

import matplotlib.pyplot as plt

from deadunits.figures import FIGURES, NothingToDraw, caption, figure_fn
from deadunits.io import atomic_write
from deadunits.tables import StudyTables

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
tables = StudyTables.read(snakemake.input)
config = snakemake.config
outputs = zip(
    config["figures"].items(), snakemake.output.png, snakemake.output.svg, snakemake.output.captions
)
for (name, options), png, svg, rst in outputs:
    fn, experiment = figure_fn(name, options), (options or {}).get("experiment")
    try:
        fig = FIGURES.get(fn)(tables, config, experiment)
        text = caption(fn, experiment, config.get("claims"))
    except NothingToDraw as reason:
        fig, text = plt.figure(figsize=(4, 0.5)), f"Not drawn: {reason}."
        fig.text(0.5, 0.5, text, ha="center", va="center")
    for path in (png, svg):
        atomic_write(
            path,
            lambda tmp: fig.savefig(
                tmp, dpi=130, bbox_inches="tight", format=path.rsplit(".", 1)[1]
            ),
        )
    plt.close(fig)
    rst_text = text.replace("|", "\\|")  # RST reads |x| as a substitution (snakemake --report)
    atomic_write(rst, lambda tmp: open(tmp, "w").write(rst_text + "\n"))
