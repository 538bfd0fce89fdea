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


def show(section):
    for text in findings[findings.section == section].text:
        display(Markdown(text))


# %% [markdown]
# ## In a minute
#
# The source texts' questions in order, each answered from the claim rows it cites (verdicts in the
# sections below), then the headline figure: where units die.

# %%
show("abstract")
headline = findings[(findings.section == "figure") & (findings.name == "dying")]
for figure in headline.itertuples():
    display(Image(filename=figure_paths[figure.name]))
    display(Markdown(figure.caption))

# %% [markdown]
# ## Findings at a glance
#
# One line per claim row: its verdict, the measured number with its 95% interval over seeds (or
# draws),
# and the main caveat. Only rows of kind `claim` are reproductions; `contrast` rows show the other
# side
# of a claim, `sanity` rows check properties that hold by construction, and `benchmark` rows are
# wall-clock timings on a shared machine. `inconclusive` means the data
# cannot decide (too few trained nets, both arms at zero, or a budget too short for the reference
# arm).
# The sections below give each row's condition and rule.

# %%
show("glance")

# %% [markdown]
# ## The study

# %%
show("study")

# %% [markdown]
# ## Metrics

# %%
show("metrics")

# %%
show("probe_overcount")

# %% [markdown]
# ## Claims and verdicts
#
# Each claim of the three source texts and each published reference result, measured under the
# condition stated (and how it differs from the source), with the published number or direction
# ("second-hand" where it comes only from summaries), the measured mean and its 95% interval
# over seeds (or draws), its p-value and adjusted p-value, and a verdict computed by the rule
# written in the claim's docstring in
# `deadunits/claims.py`. The same rows are in `results/tables/claims.csv`.

# %%
show("claims_overview")
show("claims")

# %% [markdown]
# ## Findings

# %%
for figure in findings[findings.section == "figure"].itertuples():
    display(Markdown(figure.title))
    display(Markdown(figure.caption))
    display(Image(filename=figure_paths[figure.name]))
    if figure.text:
        display(Markdown(figure.text))

# %% [markdown]
# ## Provenance

# %%
show("provenance")

# %% [markdown]
# ## Configuration used

# %%
print(yaml.safe_dump(config, sort_keys=False))
