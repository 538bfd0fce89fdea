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
# One line per claim row: its verdict, the measured number with its 95% interval over seeds (or draws),
# and the main caveat. Only rows of kind `claim` are reproductions; `contrast` rows show the other side
# of a claim, `sanity` rows check properties that hold by construction, and `benchmark` rows are
# wall-clock timings on a shared machine. `inconclusive` means the data
# cannot decide (too few trained nets, both arms at zero, or a budget too short for the reference arm).
# The sections below give each row's condition and rule.

# %%
show("glance")

# %% [markdown]
# ## The study

# %%
show("study")

# %% [markdown]
# ## Metrics
#
# Measured on a fixed probe set (the first `probe_size` training examples) at init and after the epochs of the probe schedule (`probe_epochs`; by default 1, 2, 4, 8, ... and the last).
# For hidden unit *j* with pre-activation *z_j(x)* and activation *φ*:
#
# * **inactive**: *z_j(x) ≤ 0* for every probe input. For ReLU the unit outputs 0 everywhere and gets no gradient; a Leaky ReLU, PReLU, ELU, tanh or sigmoid unit still gets gradient there.
# * **dead**: *|φ'(z_j(x))|* below `dead_threshold` (10⁻³) for every probe input: no learning signal passes (ReLU: the same as inactive; saturated tanh/sigmoid/ELU; never a Leaky ReLU). Every figure and claim says which of the two it counts.
# * **on the whole training set** (`inactive_init_full`, `dead_init_full` before training, `inactive_final_full`, `dead_final_full` at the end; per layer `inactive_full`, `dead_full`): the same over every training example, the literature's "never activates". Claims and the dead-fraction figures use these; the per-epoch numbers use the probe set, which overcounts (measured below).
# * **dormant** (Sokar et al. 2023): *E|h_j|* divided by the layer's mean over units is at most τ = 0.1.
# * **born dead / collapsed**: the network's output is constant over the probe set, at init (born dead) or after training (collapsed).
# * **inactive since init / became inactive / revived** units: inactive now and at init; inactive now but active at init; active now but inactive at an earlier probe.
# * **sparsity**: fraction of exact-zero activations (not the same as dead). **Bias shift** (Clevert et al.): each unit's mean activation over the probe set, the median over a layer's units.
# * **gradient norms**: L2 norm of each layer's weight gradient, at init on a fixed batch, and per epoch (mean and max over steps).
# * **run outcome**: `diverged` (non-finite loss or gradient), `untrained` (final training error, or regression loss, at least 0.9 times the best constant prediction's), else `trained`. Claims about working nets and `summary.csv` use trained nets only and say how many were left out.
# * **convergence**: `steps_to_target` is the first step at which an exponential moving average (0.9) of the minibatch training error (or loss) reaches the target; `epochs_to_target` the first epoch whose mean training error does. It is time-to-event data: a run that never reaches the target is right-censored at its budget, never dropped; medians and ratios are Kaplan-Meier estimates (`lifelines`).
# * **validation split**: 15% of the training examples, held out; learning rates and best cells are chosen on it, never on the test set.
# * Every number is a mean over seeds of one condition with a 95% Student-t interval, or for a rate (a share of runs) the exact Clopper-Pearson interval; activations are compared on the same seeds (same init draw where shapes agree, same minibatch order). Each counted claim row carries a one-sided p-value and a Benjamini-Hochberg adjusted one over all counted rows; `reproduced` and `partly` need the adjusted p below 0.025, and `partly` means the effect is there but its interval misses the published magnitude.

# %%
show("probe_overcount")

# %% [markdown]
# ## Claims and verdicts
#
# Each claim of the three source texts and each published reference result, measured under the
# condition stated (and how it differs from the source), with the published number or direction
# ("second-hand" where it comes only from summaries), the measured mean and its 95% interval
# over seeds (or draws), its p-value and adjusted p-value, and a verdict computed by the rule written in the claim's docstring in
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
