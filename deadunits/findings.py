"""The report's measured sentences, computed here so that the notebook only renders them.

A finding is one function registered under a section (``study``, ``claims``, ``provenance``) or
under the name of the figure function it reads out; it returns ``(markdown, numbers)``: the text and
the numbers it cites. ``findings_table`` writes them all, in report order, as ``findings.csv``: one
row per section finding, per claim group and per configured figure (title, caption, text).
"""

import json
import platform
import socket

import numpy as np
import pandas as pd

from deadunits.claims import ALPHA, KINDS, VERDICTS
from deadunits.datasets import VALIDATION_SHARE
from deadunits.figures import figure_fn
from deadunits.outcomes import UNTRAINED_GAP, final_layers
from deadunits.registry import Registry
from deadunits.settings import TrainSettings
from deadunits.stats import at_best_lr, km_median, mean_ci, time_to_event
from deadunits.summary import CELL_KEYS, by_outcome, cell_glance, fix_conditions, too_high
from deadunits.tables import StudyTables, trained

FINDINGS = Registry("finding")
finding = FINDINGS.register


def ci(values, fmt="{:.1%}"):
    """'mean [low, high] (n=..)' of a series, its 95% interval over seeds (``mean_ci``)."""
    mean, low, high, n = mean_ci(values)
    if n == 0:
        return "n/a"
    if n == 1:
        return f"{fmt.format(mean)} (n=1)"
    return f"{fmt.format(mean)} [{fmt.format(low)}, {fmt.format(high)}] (n={n})"


def _trained(runs):
    """The trained runs, and a sentence on those left out and why."""
    counts = runs.outcome.value_counts()
    note = (
        f"On the {counts.get('trained', 0)} of {len(runs)} nets that trained "
        f"({counts.get('untrained', 0)} untrained, "
        f"{counts.get('diverged', 0)} diverged left out): "
    )
    return trained(runs), note


def _final(layers, runs):
    return final_layers(layers[layers.run_id.isin(runs.run_id)])


def _cell_of(runs):
    return runs.run_id.str.rsplit("/", n=1).str[0]


JOB_PARTS = {
    "train_s": "training",
    "probe_s": "probing",
    "validate_s": "validation and epoch-end bookkeeping",
    "setup_s": "building and initialising stacks and tables",
    "startup_s": "process start-up (interpreter and imports)",
    "load_s": "loading data",
    "write_s": "writing results",
}  # a job's timing.json, written by scripts/train.py


@finding("study")
def study(t, runs):
    """What was trained, where the job time went, and what diverged or failed."""
    runs, bench, inside = (
        t.all_runs,
        t.bench,
        t.timing.reindex(columns=list(JOB_PARTS)).sum(),
    )
    cells, total, outcomes = (
        _cell_of(runs),
        t.bench.s.sum(),
        runs[~runs.failed].outcome.value_counts(),
    )
    parts = ", ".join(
        f"{inside[k]:.0f} s ({inside[k] / total:.0%}) {label}" for k, label in JOB_PARTS.items()
    )
    numbers = dict(
        models=len(runs),
        cells=cells.nunique(),
        jobs=len(t.timing),
        job_s=total,
        **{f"{k.removesuffix('_s')}_share": inside[k] / total for k in JOB_PARTS},
        diverged=int(runs.diverged.sum()),
        failed_cells=cells[runs.failed].nunique(),
        **{f"outcome_{name}": int(count) for name, count in outcomes.items()},
    )
    text = (
        f"**{len(runs)} models** in **{cells.nunique()} cells**, trained by **{len(t.timing)} "
        "jobs** "
        f"across {runs.experiment.nunique()} experiments "
        f"({', '.join(sorted(runs.experiment.unique()))}), "
        f"{runs.dataset.nunique()} datasets, {runs.activation.nunique()} activations, "
        f"{runs.init.nunique()} inits, "
        f"depths {sorted(runs.depth.unique().tolist())}. "
        f"Training jobs took {total:.0f} s of job time in all (longest {bench.s.max():.1f} s); "
        f"of that, {parts}, and the rest ({1 - inside.sum() / total:.0%}) Snakemake's job handling "
        "and process exit. "
        f"{int(runs.diverged.sum())} models diverged (loss or gradient turned non-finite) and were "
        "stopped at that step; "
        f"{cells[runs.failed].nunique()} cells failed. By outcome: {outcomes.get('trained', 0)} "
        "trained, "
        f"{outcomes.get('untrained', 0)} untrained (final training error or loss at least 0.9 "
        "times the best "
        f"constant prediction's), {outcomes.get('diverged', 0)} diverged."
    )
    failed = runs[runs.failed]
    if len(failed):
        text += (
            "\n\n**Failed cells** (their models are missing from every figure and number "
            "below):\n\n"
            + "\n".join(
                f"* `{cell}`: {error}"
                for cell, error in failed.groupby(cells[runs.failed]).error.first().items()
            )
        )
    return text, numbers


METRICS = """\
Measured on a fixed probe set (the first `probe_size` training examples) at init and after the
epochs of the probe schedule (`probe_epochs`; by default 1, 2, 4, 8, ... and the last).
For hidden unit *j* with pre-activation *z_j(x)* and activation *φ*:

* **inactive**: *z_j(x) ≤ 0* for every probe input. For ReLU the unit outputs 0 everywhere and gets
  no gradient; a Leaky ReLU, PReLU, ELU, tanh or sigmoid unit still gets gradient there.
* **dead**: *|φ'(z_j(x))|* below `dead_threshold` ({dead_threshold:g}) for every probe input: no
  learning signal passes (ReLU: the same as inactive; saturated tanh/sigmoid/ELU; never a Leaky
  ReLU). Every figure and claim says which of the two it counts.
* **on the whole training set** (`inactive_init_full`, `dead_init_full` before training,
  `inactive_final_full`, `dead_final_full` at the end; per layer `inactive_full`, `dead_full`): the
  same over every training example, the literature's "never activates". Claims and the dead-fraction
  figures use these; the per-epoch numbers use the probe set, which overcounts (measured below).
* **with a norm** (BatchNorm, LayerNorm before each activation): a unit's pre-activation is its
  activation's input, after normalization, since that decides whether gradient passes; BatchNorm
  nets are probed, validated and tested with their running statistics, as they predict.
* **recycled**: units an intervention (ReDo) re-initialised since the previous probe.
* **dormant** (Sokar et al. 2023): *E|h_j|* divided by the layer's mean over units is at most τ =
  {dormant_tau:g} (`dormant_tau`).
* **born dead / collapsed**: the network's output is constant over the probe set, at init (born
  dead) or after training (collapsed).
* **inactive since init / became inactive / revived** units: inactive now and at init; inactive now
  but active at init; active now but inactive at an earlier probe.
* **sparsity**: fraction of exact-zero activations (not the same as dead). **Bias shift** (Clevert
  et al.): each unit's mean activation over the probe set, the median over a layer's units.
* **gradient norms**: L2 norm of each layer's weight gradient, at init on a fixed batch, and per
  epoch (mean and max over steps).
* **run outcome**: `diverged` (non-finite loss or gradient), `untrained` (final training error, or
  regression loss, at least {untrained:g} times the best constant prediction's), else `trained`. A
  diverged net stops at its last finite step, and its units are measured there. Claims about working
  nets and `summary.csv` use trained nets only and say how many were left out; claims about dying
  and about fixes where plain nets fail (R6, S-dead, F1-F5) read every net and split it by outcome.
* **convergence**: `steps_to_target` is the first step at which an exponential moving average
  ({ema:g}) of the minibatch training error (or loss) reaches the target; `epochs_to_target` the
  first epoch whose mean training error does. It is time-to-event data: a run that never reaches the
  target is right-censored at its budget, never dropped; medians and ratios are Kaplan-Meier
  estimates (`lifelines`).
* **validation split**: {validation:.0%} of the training examples, held out; learning rates and best
  cells are chosen on it, never on the test set.
* Every number is a mean over seeds of one condition with a 95% Student-t interval, or for a rate (a
  share of runs) the exact Clopper-Pearson interval; activations are compared on the same seeds
  (same init draw where shapes agree, same minibatch order). Each counted claim row carries a
  one-sided p-value and a Benjamini-Hochberg adjusted one over all counted rows; `reproduced` and
  `partly` need the adjusted p below {alpha:g}, and `partly` means the effect is there but its
  interval misses the published magnitude.
"""


def metrics(defaults: dict):
    """The metric definitions, with the thresholds this study used (config ``defaults``)."""
    used = {k: v for k, v in defaults.items() if k in ("dead_threshold", "dormant_tau", "ema")}
    numbers = dict(
        dead_threshold=TrainSettings.dead_threshold,
        dormant_tau=TrainSettings.dormant_tau,
        ema=TrainSettings.ema,
        untrained=1 - UNTRAINED_GAP,
        validation=VALIDATION_SHARE,
        alpha=ALPHA,
    )
    numbers.update(used)
    return METRICS.format(**numbers), numbers


@finding("probe_overcount")
def probe_overcount(t, runs):
    """How many more units the probe subset counts as dead than the whole training set."""
    ok = runs[~runs.diverged]
    gap = ok.dead_final - ok.dead_final_full
    by_exp = gap.groupby(ok.experiment).agg(["mean", "max"]).sort_values("mean", ascending=False)
    text = (
        "**Probe set or whole training set.** A unit counted dead on the probe set may still pass "
        "gradient on other "
        f"training examples. Over {len(ok)} models that did not diverge, the probe set counts "
        f"{ci(gap, '{:.2%}')} more of "
        "all hidden units as dead (no gradient) than the whole training set does (the most for "
        f"one model: {gap.max():.1%}). By experiment (mean, max): "
        + ", ".join(f"{e} {row['mean']:.2%} / {row['max']:.1%}" for e, row in by_exp.iterrows())
        + "."
    )
    return text, dict(mean_gap=gap.mean(), max_gap=gap.max(), models=len(ok))


@finding("claims_overview")
def claims_overview(t, runs):
    """Verdict counts over the claim rows (sanity checks and contrasts apart), and every configured
    claim that produced no row (its experiments or arms are missing)."""
    claims, status = t.claims, t.claims_status
    if claims.empty and status.empty:
        return "", {}  # the study configures no claim: the section is left out
    counts = claims[claims.kind == "claim"].verdict.value_counts()
    others = claims[claims.kind != "claim"].kind.value_counts()
    text = CLAIMS_INTRO + (
        f"{int(counts.sum())} claim rows: "
        + ", ".join(f"**{counts.get(v, 0)} {v}**" for v in VERDICTS)
        + ". "
        f"Apart from them, not counted as reproductions: {others.get('sanity', 0)} sanity checks "
        "(properties that "
        f"hold by construction or check our code), {others.get('contrast', 0)} contrast rows and "
        f"{others.get('benchmark', 0)} wall-clock benchmarks. Each counted row's one-sided p-value "
        "is "
        "adjusted over all counted rows (Benjamini-Hochberg); its verdict reads the adjusted one."
    )
    empty = status[status.rows == 0]
    if len(empty):
        text += (
            " Configured claims that produced no row: "
            + ", ".join(f"{r.claim} ({r.reason})" for r in empty.itertuples())
            + "."
        )
    return text, {**{v: int(counts.get(v, 0)) for v in VERDICTS}, "without_rows": len(empty)}


CLAIMS_INTRO = """\
Each claim of the source texts and each published reference result, measured under the condition
stated (and how it differs from the source), with the published number or direction ("second-hand"
where it comes only from summaries), the measured mean and its 95% interval over seeds (or draws),
its p-value and adjusted p-value, and a verdict computed by the rule written in the claim's
docstring in `deadunits/claims.py`. The same rows are in `results/tables/claims.csv`.

"""


def _fmt(v):
    return "n/a" if pd.isna(v) else f"{v:.3g}"


def _cell(text):
    text = "" if pd.isna(text) else str(text)
    return text.replace("|", "\\|")  # a literal | would end the Markdown table cell


def _number(r):
    if getattr(r, "bound", "") == "lower":
        return f"at least {_fmt(r.measured)} (censored)"
    return f"{_fmt(r.measured)} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]"


def _rows(claims, group, pattern=".", kind="claim"):
    """A claim group's rows of one kind whose id matches ``pattern`` (a regular expression)."""
    picked = claims[
        (claims.group == group) & (claims.kind == kind) & claims.claim_id.str.contains(pattern)
    ]
    return picked.dropna(subset=["measured"])


def _cite(rows, fmt="{:.1%}") -> str:
    """'0.0% to 26.3%, the most in S-dead-dying-sgd-d32 (S-dead, 12 rows: 3 reproduced, 9 not
    reproduced)': the range of the rows' measured numbers, the largest in size, and the verdicts
    of the rows it comes from (the count alone for rows that are not counted)."""
    kind = rows.kind.iloc[0]
    verdicts = group_verdict(rows) if kind == "claim" else f"{kind}, not counted"

    def number(r):  # a median beyond the budget is a lower bound
        return ("at least " if r.get("bound") == "lower" else "") + fmt.format(r.measured)

    if len(rows) == 1:
        return f"{number(rows.iloc[0])} ({rows.claim_id.iloc[0]}: {verdicts})"
    top = rows.loc[rows.measured.abs().idxmax()]
    low, high = number(rows.loc[rows.measured.idxmin()]), number(rows.loc[rows.measured.idxmax()])
    span = low if low == high else f"{low} to {high}"
    return (
        f"{span}, the most in {top.claim_id} ({rows.group.iloc[0]}, {len(rows)} rows: {verdicts})"
    )


# (claim group, row-id pattern, kind, number format, sentence): the source texts' questions
ABSTRACT = [
    (
        "S-dead",
        ".",
        "claim",
        "{:.1%}",
        "**Do ReLU units die?** At the learning rate best on "
        "validation, all-ReLU nets end with {} of their units dead on the whole training set.",
    ),
    (
        "R6",
        "^R6-sgd",
        "claim",
        "{:.1%}",
        "**Where?** Where the learning rate is too high for "
        "most nets to train, SGD leaves {} of the units dead, counting the nets that failed or "
        "diverged.",
    ),
    ("R6", "^R6-adam", "claim", "{:.1%}", "With Adam: {}."),
    ("R6", "^R6-trained", "claim", "{:.1%}", "Nets that still train carry {}."),
    (
        "S-dead-cost",
        "recover",
        "claim",
        "{:+.3f}",
        "**What does a dead unit cost?** "
        "Re-initialising the dead units of nets left untrained by a high learning rate changes "
        "their final training error by {} against training them on as they are (diverged nets "
        "are not in this row).",
    ),
    (
        "S-dead-cost",
        "ablate",
        "contrast",
        "{:+.4f}",
        "Ablating the units dead on the training "
        "set of nets that trained changes their test error by {}.",
    ),
    (
        "S-leak-revives",
        "-relu$",
        "claim",
        "{:.1%}",
        "**Do they come back?** Of ReLU units "
        "killed on purpose in trained nets, {} fire again after more training.",
    ),
    (
        "S-leak-revives",
        "^(?!.*-relu$)",
        "claim",
        "{:+.1%}",
        "With a leak, PReLU or ELU instead, the share that comes back differs from ReLU's by {}.",
    ),
    ("S-bias", ".", "claim", "{:+.1%}", "A positive bias init changes the dead fraction by {}."),
    (
        "R4",
        ".",
        "claim",
        "{:.2f}",
        "**Does ReLU converge faster?** Tanh or sigmoid over ReLU, "
        "Kaplan-Meier median epochs to the training target: {}.",
    ),
    (
        "F3",
        "^F3-train",
        "claim",
        "{:+.3f}",
        "**Which fixes work?** At depth 32, against the plain net (each at its lr best on "
        "validation), a norm, a residual branch or both change the final training error by {}",
    ),
    ("F3", "^F3-dead", "claim", "{:+.3f}", "and the dead fraction by {}."),
    (
        "F1",
        "-trains-",
        "claim",
        "{:.0%}",
        "Where most plain nets fail at too high a learning rate, BatchNorm nets train in {}",
    ),
    ("F2", "-trains-", "claim", "{:.0%}", "and LayerNorm nets in {}."),
    (
        "F4",
        "-dead-",
        "claim",
        "{:+.1%}",
        "There, recycling dormant units (ReDo) changes the dead fraction by {}",
    ),
    ("F4", "-accuracy-", "claim", "{:+.1%}", "and test accuracy by {}."),
    ("F5", "^F5-dead", "claim", "{:+.1%}", "Weight decay changes the dead fraction by {}."),
    ("F5", "^F5-adam", "claim", "{:+.1%}", "Adam against SGD, each at its best lr: {}."),
    (
        "S-cost",
        ".",
        "benchmark",
        "{:.2f}",
        "**At what cost?** The other activations' forward and backward pass takes {} times ReLU's.",
    ),
]


@finding("abstract")
def abstract(t, runs):
    """A handful of sentences, each citing its claim rows, that answer the source texts' questions
    in order; a question without rows in this study is left out."""
    lines = []
    for group, pattern, kind, fmt, sentence in ABSTRACT:
        rows = _rows(t.claims, group, pattern, kind)
        if len(rows):
            lines.append(sentence.format(_cite(rows, fmt)))
    if not lines:
        return "", dict(sentences=0)  # no claim of the source texts: the section is left out
    text = "".join(("\n* " if line.startswith("**") else " ") + line for line in lines)
    return text.lstrip(" "), dict(sentences=len(lines))  # a bullet per question


@finding("glance")
def glance(t, runs):
    """Findings at a glance: one line per claim row (claims first, then contrasts and sanity checks)
    with its verdict, the number and its CI, and its caveat."""
    if t.claims.empty:
        return "", dict(rows=0)
    claims = t.claims.assign(order=t.claims.kind.map({k: i for i, k in enumerate(KINDS)}))
    lines = [
        f"| {r.claim_id} | {_cell(r.claim)} | {r.kind} | **{r.verdict}** | {_number(r)} (n={r.n}) "
        f"| {_cell(r.caveat)} |"
        for r in claims.sort_values("order", kind="stable").itertuples()
    ]
    return (
        GLANCE + "| row | claim | kind | verdict | measured [95% CI] | caveat |\n"
        "|---|---|---|---|---|---|\n" + "\n".join(lines),
        dict(rows=len(lines)),
    )


GLANCE = """\
One line per claim row: its verdict, the measured number with its 95% interval over seeds (or
draws), and the main caveat. Only rows of kind `claim` are reproductions; `contrast` rows show the
other side of a claim, `sanity` rows check properties that hold by construction, and `benchmark`
rows are wall-clock timings on a shared machine. `inconclusive` means the data cannot decide (too
few trained nets, both arms at zero, or a budget too short for the reference arm). The section
"Claims and verdicts" gives each row's condition and rule.

"""


@finding("cells")
def cells(t, runs):
    """The study's own cells at a glance, one folded table per experiment (``cell_glance``)."""
    table = cell_glance(runs)
    parts = [CELLS]
    for experiment, rows in table.groupby("experiment", sort=False):
        varies = [k for k in CELL_KEYS[1:] if rows[k].astype(str).nunique() > 1]
        fixed = ", ".join(
            f"{k} {rows[k].iloc[0]}" for k in CELL_KEYS[1:] if k not in varies and k != "width"
        )
        shown = pd.DataFrame(
            {
                **{k: rows[k].map("{:g}".format) if k == "lr" else rows[k] for k in varies},
                "trained": [f"{t} of {n}" for t, n in zip(rows.trained, rows.nets)],
                "dead": rows.dead.map("{:.1%}".format),
                "inactive": rows.inactive.map("{:.1%}".format),
                "test accuracy": rows.test_acc.map(_pct),
                "epochs to target": rows.epochs_to_target.map(_epochs),
            }
        )
        parts.append(  # HTML inside <details>: a Markdown table there would not fold
            f"<details><summary><code>{experiment}</code>: {len(rows)} conditions in "
            f"{_cell_of(runs[runs.experiment == experiment]).nunique()} cells, "
            f"{rows.trained.sum()} of {rows.nets.sum()} nets trained ({fixed})</summary>\n"
            + shown.to_html(index=False, border=0)
            + "\n</details>"
        )
    return "\n\n".join(parts), dict(conditions=len(table), experiments=table.experiment.nunique())


CELLS = """\
Per condition (one learning rate of one cell; a cell trains every learning rate of one grid point
as one stack), over its seeds: how many nets trained, the mean
share of hidden units dead and inactive on the whole training set after training over all its nets
(each outcome; a diverged net at its last finite step), the mean test accuracy of its trained nets,
and the Kaplan-Meier median epochs to the target over all its nets (a net that never reaches it is
censored; "> budget" when the median lies beyond it). Open an experiment to see its conditions;
the line names what they share."""


def _pct(value):
    return "–" if pd.isna(value) else f"{value:.1%}"


def _epochs(value):
    return "> budget" if np.isinf(value) else "–" if pd.isna(value) else f"{value:g}"


def group_verdict(rows) -> str:
    """'2 reproduced, 1 not reproduced' over a group's counted rows (sanity checks, contrasts and
    benchmarks apart)."""
    counts = rows[rows.kind == "claim"].verdict.value_counts()
    if counts.empty:
        return f"no counted row ({', '.join(sorted(set(rows.kind)))})"
    return ", ".join(f"{counts[v]} {v}" for v in VERDICTS if v in counts)


def claim_groups(claims):
    """One markdown section per claim group (R2, S-bias, ...): its rows as a table, with p and
    adjusted p, and the counts of its verdicts."""
    sections = []
    header = (
        "| row | kind | condition | expected | measured [95% CI] | n | p (adjusted) | verdict |\n"
        "|---|---|---|---|---|---|---|---|\n"
    )
    for group, rows in claims.groupby("group", sort=False):
        table = header + "\n".join(
            f"| {r.claim_id} | {r.kind} | {_cell(r.condition)} | {_cell(r.expected)} | "
            f"{_number(r)} "
            f"| {r.n} | {_fmt(r.p)} ({_fmt(r.p_adj)}) | {r.verdict} |"
            for r in rows.itertuples()
        )
        overall = group_verdict(rows)
        text = (
            f"### {group}: {rows.claim.iloc[0]}\n*Source: {rows.source.iloc[0]}.*\n\n{table}\n\n"
            f"**Verdicts: {overall}.**"
        )
        sections.append((group, text, dict(rows=len(rows), verdicts=overall)))
    return sections


@finding("provenance")
def provenance(t, runs):
    """Code versions, machines and devices of the runs; library versions of the report."""
    import sklearn
    import snakemake
    import torch

    prov = t.all_runs[["code_version", "machine", "torch_version", "device"]].drop_duplicates()
    text = (
        f"Code versions: {', '.join(prov.code_version.unique())}. Machines: "
        f"{', '.join(prov.machine.unique())}. "
        f"Devices: {', '.join(prov.device.unique())}. torch {torch.__version__}, pandas "
        f"{pd.__version__}, "
        f"scikit-learn {sklearn.__version__}, snakemake {snakemake.__version__}, Python "
        f"{platform.python_version()}. "
        f"Report rendered on {socket.gethostname()}."
    )
    return text, dict(code_versions=list(prov.code_version.unique()))


@finding("dead_heatmap")
def dead_heatmap(t, r):
    r, note = _trained(r)
    if r.empty:
        return note + "none.", {}
    r = r.groupby(["init", "activation", "depth"]).dead_final_full.mean().reset_index()
    worst = r.loc[r.dead_final_full.idxmax()]
    lines = [
        f"Largest mean dead fraction: **{worst.dead_final_full:.1%}** ({worst.activation}, init "
        f"{worst.init}, "
        f"depth {worst.depth})."
    ]
    for act in ("relu", "leaky_0.01", "elu"):
        sub = r[r.activation == act]
        if len(sub):
            deep = sub[sub.depth == sub.depth.max()]
            lines.append(
                f"{act} at depth {deep.depth.max()}: "
                + ", ".join(f"{row.init} {row.dead_final_full:.1%}" for row in deep.itertuples())
                + "."
            )
    return note + " ".join(lines), dict(worst=worst.dead_final_full)


@finding("dead_vs_lr")
def dead_vs_lr(t, r):
    r, note = _trained(r)
    if r.empty:
        return note + "none.", {}
    out = []
    for act, g in r.groupby("activation"):
        by_lr = g.groupby("lr").dead_final_full.mean()
        first = f"{act}: {by_lr.iloc[0]:.1%} at lr {by_lr.index[0]:g}"
        out.append(
            first
            if len(by_lr) == 1
            else f"{first} to {by_lr.iloc[-1]:.1%} at lr {by_lr.index[-1]:g} (max "
            f"{by_lr.max():.1%} at lr {by_lr.idxmax():g})"
        )
    hit = r.groupby(["activation", "lr"]).dead_final_full.mean()
    reached = hit[hit >= 0.4]
    verdict = (
        "The 40% level is reached: "
        + ", ".join(f"{a} at lr {lr:g}" for a, lr in reached.index)
        + "."
        if len(reached)
        else "No activation reaches 40% dead units on average at any learning rate tried."
    )
    return note + "; ".join(out) + ". " + verdict, dict(cells_at_40=len(reached))


@finding("dying")
def dying(t, r):
    """Per optimizer and depth: the first lr where the mean over all nets reaches 40% dead, and by
    outcome the nets at the lowest lr where most fail (R6's); then where (layer) and when (probe)
    units die first in the nets that end at least 40% dead."""
    parts = []
    for (optimizer, depth), g in r.groupby(["optimizer", "depth"]):
        mean = g.groupby("lr").dead_final_full.mean()
        at_40 = mean[mean >= 0.4]
        reach = (
            f"40% first at lr {at_40.index.min():g}" if len(at_40) else f"at most {mean.max():.1%}"
        )
        lr, why = too_high(g)
        top = g[g.lr == lr]
        parts.append(
            f"{optimizer}, depth {depth}: the mean over all nets reaches {reach}; at lr "
            f"{lr:g} ({why}): {by_outcome(top)}"
        )
    text = "Dead fraction on the whole training set, by outcome: " + "; ".join(parts) + "."
    dead = r[r.dead_final_full >= 0.4]
    numbers = dict(nets_at_40=len(dead), nets=len(r))
    if len(dead):
        layers = t.layers[t.layers.run_id.isin(dead.run_id) & (t.layers.epoch > 0)]
        first = layers[layers.epoch == layers.epoch.min()]
        by_epoch = layers.groupby("epoch").dead.mean()
        worst = (
            first.groupby(["depth", "layer"])
            .dead.mean()
            .groupby(level="depth")
            .agg(["idxmax", "max"])
        )
        text += (
            f" In the {len(dead)} of {len(r)} nets that end at least 40% dead, the first probe "
            f"after init (epoch {first.epoch.min()}) already finds {by_epoch.iloc[0]:.1%} of "
            f"their units dead on the probe set ({final_layers(layers).dead.mean():.1%} at each "
            "net's last); the layer most dead then, by depth: "
            + ", ".join(
                f"{d}: layer {w['idxmax'][1]} ({w['max']:.0%})" for d, w in worst.iterrows()
            )
            + "."
        )
        numbers.update(first_probe_dead=by_epoch.iloc[0])
    return text, numbers


@finding("fixes")
def fixes(t, r):
    """The "which fix?" table: per optimizer and depth, each fix at the lowest lr where most plain
    nets fail (``fix_conditions``), and at the lr best on validation, with its cost per step
    (``fix_cost``)."""
    points, cost = fix_conditions(r), t.fix_cost
    if cost is not None:
        cost = cost[cost.experiment.isin(r.experiment)].set_index(["variant", "optimizer", "depth"])
    parts, numbers = [FIXES], {}
    for (optimizer, depth), panel in points.groupby(["optimizer", "depth"], sort=False):
        failing = panel[panel.plain_fails]
        if failing.empty:
            parts.append(f"**{optimizer}, depth {depth}**: plain nets train at every lr tried.")
            continue
        lr, best = failing.lr.iloc[0], panel[panel.best_on_validation].set_index("variant")
        rows = []
        for p in failing.itertuples():
            key = (p.variant, optimizer, depth)
            c = cost.loc[key] if cost is not None and key in cost.index else None
            rows.append(
                {
                    "fix": "plain net" if p.variant == "none" else p.variant,
                    f"trains at lr {lr:g}": f"{p.trained} of {p.nets}",
                    "dead": _share(p.dead, p.dead_low, p.dead_high),
                    "test accuracy": _share(p.test_acc, p.acc_low, p.acc_high),
                    "best lr on validation: test accuracy": (
                        f"{best.lr[p.variant]:g}: {best.test_acc[p.variant]:.1%}"
                    ),
                    "cost per step vs plain": "–"
                    if c is None
                    else (f"{c.relative_to_plain:.2f} [{c.ci_low:.2f}, {c.ci_high:.2f}]"),
                }
            )
            numbers[f"{p.variant}-{optimizer}-d{depth}-trains"] = p.trained
        parts.append(
            f"**{optimizer}, depth {depth}** (plain nets fail at lr {lr:g}):\n\n"
            + pd.DataFrame(rows).to_html(index=False, border=0)
        )
    return "\n\n".join(parts), numbers


def _share(mean, low, high):
    """'12.3% [4.5%, 20.1%]': a share and its t-interval, cut to [0, 1] where it reaches past."""
    return f"{mean:.1%} [{max(low, 0):.1%}, {min(high, 1):.1%}]"


FIXES = """\
Each fix alone against the plain net, at the lowest learning rate where fewer than half the plain
nets train, over all nets (each outcome): how many train, the dead fraction on the whole training
set and the test accuracy, mean [95% t-interval over seeds]; then the fix at its own learning rate
best on validation (a fix that keeps units alive but loses accuracy there is not a fix); and what
a training step of its stack costs against the plain net's (ratio of medians over separate
processes [95% t-interval], a benchmark run alone on the machine, not the study's wall clock)."""


@finding("revival")
def revival(t, r):
    """Per activation, the mean share of killed units that fire again, and how many were killed."""
    table = t.revival.groupby("activation", sort=False)[
        ["revived", "revived_first_layer", "killed"]
    ].mean()
    return (
        "Killed units that fire again on the whole training set (mean over seeds; first layer "
        "alone; killed units still inactive at the restart): "
        + "; ".join(
            f"{a} {x.revived:.1%} ({x.revived_first_layer:.1%}; {x.killed:.0f})"
            for a, x in table.iterrows()
        )
        + "."
    ), table.revived.to_dict()


@finding("dead_cost")
def dead_cost(t, r):
    """Ablation's effect on test error, and the failed nets' training error as is and
    re-initialised."""
    cost = t.dead_cost
    ablate, recover = cost[cost.setup == "ablate"], cost[cost.setup == "recover"]
    change = ablate.ablated_test_error - ablate.test_error
    text = (
        f"Ablating the units dead on the training set ({ablate.dead.mean():.1%} of all) of "
        f"{len(ablate)} trained nets changes their test error by {ci(change, '{:+.2%}')}."
    )
    if "narrow_test_error" in ablate and len(ablate):
        text += (
            f" Nets of width {int(ablate.narrow_width.iloc[0])} (as wide as the live units) "
            f"trained alike reach {ablate.narrow_test_error.mean():.1%} test error against "
            f"{ablate.test_error.mean():.1%} ({ablate.narrow_dead.mean():.1%} of their units dead)."
        )
    for outcome, g in recover.groupby("outcome"):
        trains = (g.reinit_train_error < 0.5).sum()
        text += (
            f" {len(g)} {outcome} nets after the high lr ({g.dead.mean():.1%} dead): trained on "
            f"as is, training error {g.as_is_train_error.mean():.1%}; re-initialised "
            f"{g.reinit_train_error.mean():.1%} ({trains} below 50%)."
        )
    return text, dict(ablation_change=change.mean(), recover_nets=len(recover))


@finding("collapse")
def collapse(t, r):
    groups = r.groupby(["activation", "init", "width"])
    collapsed = {
        key: g.outcome != "trained" for key, g in groups
    }  # by the function: no better than a constant
    return " ".join(
        f"{act}/{init} (width {w}): born dead {ci(g.born_dead)}, collapsed after training "
        f"{ci(collapsed[act, init, w])}."
        for (act, init, w), g in groups
    ), {f"{a}/{i}/w{w}": c.mean() for (a, i, w), c in collapsed.items()}


@finding("accuracy")
def accuracy(t, r):
    """Per dataset, the test accuracy of the cell best on validation (never chosen on test)."""
    cell = ["dataset", "activation", "depth", "lr"]
    val = r.groupby(cell).final_val_acc.mean()
    best = val.groupby(level="dataset").idxmax()
    test = r.groupby(cell).final_test_acc.mean()
    return " ".join(
        f"{d}: {test[key]:.1%} test accuracy ({key[1]}, depth {key[2]}, lr {key[3]:g}), "
        f"the cell best on validation ({val[key]:.1%})."
        for d, key in best.items()
    ), {d: test[key] for d, key in best.items()}


@finding("convergence")
def convergence(t, r):
    best = at_best_lr(r, ["activation", "depth"], "final_val_acc")
    lines = []
    for (depth, act), g in best.groupby(["depth", "activation"]):
        median = km_median(time_to_event(g))
        lines.append(
            f"depth {depth} {act}: "
            f"{'beyond the budget' if np.isinf(median) else f'{median:.0f} steps'} "
            f"({g.steps_to_target.notna().sum()} of {len(g)} reach it)"
        )
    return (
        "Kaplan-Meier median steps to the target, each activation at its lr with the best "
        "validation accuracy (claim R4 instead takes the lr that reaches the target fastest on "
        "validation), censored runs counted: " + "; ".join(lines) + "."
    ), {line.split(":")[0]: line.split(": ")[1] for line in lines}


@finding("prelu_slopes")
def prelu_slopes(t, r):
    last = _final(t.trained().layers, r).dropna(subset=["prelu_slope"])
    if last.empty:
        return "No PReLU runs in this experiment.", {}
    by_layer = last.groupby(["depth", "lr", "layer"]).prelu_slope.mean()
    return " ".join(
        f"depth {d}, lr {lr:g}: first layer {s.iloc[0]:.3f}, last layer {s.iloc[-1]:.3f} (init "
        "0.25)."
        for (d, lr), s in by_layer.groupby(level=[0, 1])
    ), {f"d{d}-lr{lr:g}-l{layer}": v for (d, lr, layer), v in by_layer.items()}


@finding("bias_shift")
def bias_shift(t, r):
    med = (
        _final(t.trained().layers, r)
        .groupby("activation")
        .bias_shift.apply(lambda s: s.abs().mean())
        .sort_values()
    )
    return (
        "Mean |median activation| over layers, end of training: "
        + ", ".join(f"{a} {v:.3f}" for a, v in med.items())
        + "."
    ), med.to_dict()


@finding("grad_norms")
def grad_norms(t, r):
    layers = t.layers
    init = layers[(layers.run_id.isin(r.run_id)) & (layers.epoch == 0)]
    init = init[init.depth == init.depth.max()]
    ratio = (
        init.groupby(["init", "activation", "layer"])
        .grad_norm_mean.mean()
        .groupby(level=[0, 1])
        .apply(lambda s: s.iloc[0] / max(s.iloc[-1], 1e-30))
    )
    return (
        "First-to-last hidden layer gradient-norm ratio at init: "
        + ", ".join(f"{i}/{a} {v:.3g}" for (i, a), v in ratio.items())
        + "."
    ), {f"{i}/{a}": v for (i, a), v in ratio.items()}


@finding("inactive_over_training")
def inactive_over_training(t, r):
    r, note = _trained(r)
    g = (
        _final(t.layers, r)
        .groupby("activation")[["inactive_since_init", "became_inactive", "revived"]]
        .mean()
    )
    return note + " ".join(
        f"{a}: inactive since init {row.inactive_since_init:.1%}, became inactive "
        f"{row.became_inactive:.1%}, "
        f"revived {row.revived:.1%}."
        for a, row in g.iterrows()
    ), g.to_dict("index")


@finding("loss_curves")
def loss_curves(t, r):
    best = (
        at_best_lr(r, ["activation"], "final_val_loss", best="min")
        .groupby("activation")
        .final_train_loss.mean()
    )
    best = best.sort_values()
    return "Final training loss (each activation at its lr best on validation): " + ", ".join(
        f"{a} {v:.3g}" for a, v in best.items()
    ) + ".", best.to_dict()


@finding("dead_by_layer")
def dead_by_layer(t, r):
    r, note = _trained(r)
    last = _final(t.layers, r)
    last = last[last.depth == last.depth.max()]
    worst = (
        last.groupby(["activation", "layer"]).dead.mean().groupby(level=0).agg(["max", "idxmax"])
    )
    return note + " ".join(
        f"{a}: up to {row['max']:.1%} dead (layer {row['idxmax'][1]})."
        for a, row in worst.iterrows()
    ), worst["max"].to_dict()


@finding("length_variance")
def length_variance(t, r):
    lengths, claims = t.lengths, t.claims
    beyond = lengths[~lengths.measurable]
    text = (
        f"{int(lengths.measurable.sum())} of {len(lengths)} (width, depth) cells predict a ratio "
        "the "
        f"{lengths.draws.iloc[0]} draws can show (at most their square root)"
    )
    r8 = claims[claims.claim_id == "R8"]
    if len(r8):
        text += (
            f"; claim R8 fits them with slope {r8.measured.iloc[0]:.2f} "
            f"(expected: {r8.expected.iloc[0]})"
        )
    if len(beyond):
        share = beyond.normalised_variance / beyond.predicted
        text += (
            f". In the other {len(beyond)} cells the measured ratio is {share.min():.3g} to "
            f"{share.max():.3g} times "
            "the prediction: there the sample variance of so heavy-tailed a quantity is "
            "unreliable (it cannot exceed "
            "draws - 1)"
        )
    return text + ".", dict(measurable=int(lengths.measurable.sum()), cells=len(lengths))


@finding("activation_cost")
def activation_cost(t, r):
    cost = t.cost.dropna(subset=["relative_to_relu"]).sort_values("relative_to_relu")
    return "Relative to ReLU, ratio of median times [95% t-interval over processes]: " + ", ".join(
        f"{c.activation} {c.relative_to_relu:.2f} [{c.ci_low:.2f}, {c.ci_high:.2f}]"
        for c in cost.itertuples()
    ) + ".", dict(zip(cost.activation, cost.relative_to_relu))


def _row(section, name, text, numbers, title="", caption_text="", drawn=True):
    return dict(
        section=section,
        name=name,
        title=title,
        caption=caption_text,
        drawn=drawn,
        text=text,
        numbers=json.dumps(numbers, default=float, sort_keys=True),
    )


def findings_table(tables: StudyTables, config: dict, captions: dict) -> pd.DataFrame:
    """findings.csv: the claims at a glance, the study's cells, the study, probe and claims
    sections, one row per claim group, per figure (its ``captions``, as the figures rule wrote
    them; a figure not drawn has ``drawn`` False and its caption says why), and provenance. A row
    with empty text is a section this study leaves out."""
    runs, defaults = tables.runs, config.get("defaults", {})
    rows = []
    for name in SECTIONS:
        text, numbers = metrics(defaults) if name == "metrics" else FINDINGS.get(name)(tables, runs)
        rows.append(_row(name, name, text, numbers))
    rows += [
        _row("claims", group, text, numbers) for group, text, numbers in claim_groups(tables.claims)
    ]
    for name, options in config.get("figures", {}).items():
        experiment, fn = (options or {}).get("experiment"), figure_fn(name, options)
        title = f"### {fn.replace('_', ' ').capitalize()}" + (
            f" (experiment `{experiment}`)" if experiment else ""
        )
        text, numbers, drawn = "", {}, not captions[name].startswith("Not drawn:")
        if fn in FINDINGS and drawn:
            text, numbers = FINDINGS.get(fn)(
                tables, runs[runs.experiment == experiment] if experiment else runs
            )
            text = "**Measured:** " + text
        rows.append(_row("figure", name, text, numbers, title, captions[name], drawn))
    rows.append(_row("provenance", "provenance", *FINDINGS.get("provenance")(tables, runs)))
    return pd.DataFrame(rows)


SECTIONS = ("abstract", "glance", "cells", "study", "metrics", "probe_overcount", "claims_overview")
