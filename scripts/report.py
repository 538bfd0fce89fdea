"""Rule report: execute the papermill template on the tables, then convert it to self-contained HTML."""
import os
import sys

import nbformat
import papermill
from nbconvert import HTMLExporter

from deadunits.io import atomic_write

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
papermill.execute_notebook(
    snakemake.input.notebook,
    snakemake.output.notebook,
    parameters=dict(
        tables_dir=os.path.dirname(snakemake.input.runs),
        figures=list(snakemake.input.figures),
        captions_dir=snakemake.params.captions,
        benchmarks=list(snakemake.input.benchmarks),
        timings=list(snakemake.input.timings),
        config=snakemake.config,
    ),
    kernel_name="python3",
    cwd=os.getcwd(),
    progress_bar=False,
)
html, _ = HTMLExporter(exclude_input=True, embed_images=True).from_notebook_node(nbformat.read(snakemake.output.notebook, 4))
atomic_write(snakemake.output.html, lambda tmp: open(tmp, "w").write(html))
