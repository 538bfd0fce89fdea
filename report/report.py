# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # deadunits: how and why ReLU units die, and what brings them back
#
# Every number in this report is computed by the `deadunits` library from `results/tables/` (the
# sentences are in `results/tables/findings.csv`, written by `deadunits/findings.py`); this notebook
# (`report/report.py`, executed by papermill) only renders them. Nothing is typed by hand.

# %% tags=["parameters"]
findings_csv = "results/tables/findings.csv"
figures = []
config = {}

# %%
from pathlib import Path

import pandas as pd
import yaml
from IPython.display import Image, Markdown, display

findings = pd.read_csv(findings_csv, keep_default_na=False)
figure_paths = {Path(path).stem: path for path in figures}


def show(section, heading=""):
    """A section's findings under its heading; a section without text is left out."""
    texts = [text for text in findings[findings.section == section].text if text]
    for text in [heading] * bool(heading and texts) + texts:
        display(Markdown(text))


def draw(figure):
    display(Markdown(figure.title))
    display(Markdown(figure.caption))
    if figure.drawn:
        display(Image(filename=figure_paths[figure.name]))
    if figure.text:
        display(Markdown(figure.text))


# %%
show("abstract", "## In a minute")
for figure in findings[(findings.section == "figure") & (findings.name == "dying")].itertuples():
    draw(figure)

# %%
show("glance", "## Findings at a glance")
show("cells", "## The study's cells")
show("study", "## The study")
show("metrics", "## Metrics")
show("probe_overcount")

# %%
show("claims_overview", "## Claims and verdicts")
show("claims")

# %%
figures_drawn = findings[findings.section == "figure"]
if len(figures_drawn):
    display(Markdown("## Findings"))
for figure in figures_drawn.itertuples():
    draw(figure)

# %%
show("provenance", "## Provenance")

# %% [markdown]
# ## Configuration used

# %%
print(yaml.safe_dump(config, sort_keys=False))
