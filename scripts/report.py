"""Rule report: execute the report template (report/report.py, jupytext percent format) with
papermill on the findings and figures, then convert it to self-contained HTML."""

import os
import sys

import jupytext
import nbformat
import papermill
from nbconvert import HTMLExporter

from deadunits.io import atomic_write

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
template = jupytext.read(snakemake.input.notebook)
template.metadata["kernelspec"] = {
    "name": "python3",
    "display_name": "Python 3",
    "language": "python",
}
papermill.execute_notebook(
    template,
    snakemake.output.notebook,
    parameters=dict(
        findings_csv=snakemake.input.findings,
        figures=list(snakemake.input.figures),
        config=snakemake.config,
    ),
    kernel_name="python3",
    cwd=os.getcwd(),
    progress_bar=False,
)
html, _ = HTMLExporter(exclude_input=True, embed_images=True).from_notebook_node(
    nbformat.read(snakemake.output.notebook, 4),
    resources={"metadata": {"name": "deadunits report"}},
)
atomic_write(snakemake.output.html, lambda tmp: open(tmp, "w").write(html))
