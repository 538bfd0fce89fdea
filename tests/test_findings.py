"""The report's measured sentences (deadunits/findings.py) on synthetic tables whose answer is
known, and the report template that only renders them."""

import json
import re
from dataclasses import replace
from pathlib import Path

import jupytext
import numpy as np
import pandas as pd

from deadunits.figures import caption, figure_fn
from deadunits.findings import FINDINGS, findings_table, metrics
from deadunits.tables import StudyTables

ROOT = Path(__file__).resolve().parents[1]


def synthetic_tables(dead_at_high_lr=0.5, failed=False, high_lr_outcome="trained"):
    """Two cells of 8 seeds (lr 0.01 and 1.0) of one experiment, with the tables the findings
    read."""
    rows = []
    for i, (lr, dead) in enumerate(((0.01, 0.05), (1.0, dead_at_high_lr))):
        for seed in range(8):
            rows.append(
                dict(
                    run_id=f"e/d/relu/he/sgd/s0-7/d4-w8/m{8 * i + seed}",  # one cell, two lrs
                    experiment="e",
                    dataset="d",
                    activation="relu",
                    init="he",
                    depth=4,
                    width=8,
                    lr=lr,
                    seed=seed,
                    diverged=False,
                    failed=failed and lr == 1.0,
                    error="RuntimeError: boom" if failed and lr == 1.0 else "",
                    outcome=high_lr_outcome if lr == 1.0 else "trained",
                    dead_final=dead + 0.01,
                    dead_final_full=dead,
                    inactive_final_full=dead,
                    final_test_acc=0.9,
                    epochs_to_target=3.0 if lr == 0.01 else np.nan,
                    budget_epochs=10,
                    steps_to_target=30.0 if lr == 0.01 else np.nan,
                    budget_steps=100,
                    layer_widths="8-8-8-8",
                    norm="none",
                    residual="plain",
                    variant="none",
                    intervention="none",
                    optimizer="sgd",
                    code_version="abc",
                    machine="m",
                    torch_version="2",
                    device="cpu",
                )
            )
    runs = pd.DataFrame(rows)
    layers = pd.DataFrame({"run_id": runs.run_id, "epoch": 0, "diverged": False})
    claims = pd.DataFrame(
        [
            dict(
                group="R6",
                claim_id="R6-sgd-d4",
                claim="c",
                source="s",
                kind="claim",
                condition="a | b",
                expected="e",
                measured=0.5,
                ci_low=0.4,
                ci_high=0.6,
                n=8,
                p=0.001,
                p_adj=0.002,
                verdict="reproduced",
                caveat="an anecdote",
            ),
            dict(
                group="R1",
                claim_id="R1-w2-d10",
                claim="c1",
                source="s",
                kind="sanity",
                condition="x",
                expected="e",
                measured=0.9,
                ci_low=0.8,
                ci_high=1.0,
                n=100,
                p=np.nan,
                p_adj=np.nan,
                verdict="reproduced",
                caveat=np.nan,
            ),
        ]
    )
    return StudyTables(
        all_runs=runs,
        layers=layers,
        claims=claims,
        claims_status=pd.DataFrame(
            dict(claim=["R6", "S-bias"], rows=[1, 0], reason=["", "no runs in experiments x"])
        ),
        bench=pd.DataFrame({"s": [10.0, 30.0]}),
        timing=pd.DataFrame(
            dict(train_s=[8.0, 20.0], probe_s=[1.0, 2.0], startup_s=[0.5, 0.5], load_s=[1.0, 1.0])
        ),
    )


CONFIG = {"figures": {"dead_vs_lr": {"experiment": "e"}, "activation_functions": {}}}


def captions(config=CONFIG, claims=None):
    """What the figures rule writes: each entry's caption."""
    return {
        name: caption(figure_fn(name, options), (options or {}).get("experiment"), claims)
        for name, options in config["figures"].items()
    }


def test_findings_table_has_every_section_claim_group_and_figure():
    table = findings_table(synthetic_tables(), CONFIG, captions())
    assert table.section.tolist() == [
        "abstract",
        "glance",
        "cells",
        "study",
        "metrics",
        "probe_overcount",
        "claims_overview",
        "claims",
        "claims",
        "figure",
        "figure",
        "provenance",
    ]
    figures = table[table.section == "figure"].set_index("name")
    assert figures.caption["dead_vs_lr"] == caption("dead_vs_lr") and "learning rate" in caption(
        "dead_vs_lr"
    )
    assert figures.drawn.all()
    assert figures.title["dead_vs_lr"] == "### Dead vs lr (experiment `e`)"
    assert figures.text["activation_functions"] == "", (
        "a figure without a finding function has no text"
    )
    study = json.loads(table.set_index("name").numbers["study"])
    assert study["models"] == 16 and study["train_share"] == 28 / 40
    assert "a \\| b" in table.set_index("name").text["R6"], (
        "a literal | is escaped in the claims table"
    )


def test_claims_overview_lists_configured_claims_without_rows_and_counts_only_claims():
    text, numbers = FINDINGS.get("claims_overview")(synthetic_tables(), None)
    assert "**1 reproduced**" in text and "S-bias (no runs in experiments x)" in text
    assert "1 sanity checks" in text and numbers["reproduced"] == 1 and numbers["without_rows"] == 1


def test_glance_has_one_line_per_row_claims_first():
    text, numbers = FINDINGS.get("glance")(synthetic_tables(), None)
    lines = text.split("|---|---|---|---|---|---|\n")[1].splitlines()
    assert (
        numbers["rows"] == 2
        and lines[0].startswith("| R6-sgd-d4 |")
        and lines[1].startswith("| R1-w2-d10 |")
    )
    assert "**reproduced** | 0.5 [0.4, 0.6] (n=8) | an anecdote |" in lines[0]
    tables = synthetic_tables()
    tables = replace(
        tables,
        claims=tables.claims.assign(
            bound=["lower", ""], ci_low=[np.nan, 0.8], ci_high=[np.nan, 1.0]
        ),
    )
    text, _ = FINDINGS.get("glance")(tables, None)
    assert "**reproduced** | at least 0.5 (censored) (n=8) |" in text, (
        "a censored median is a bound, not a number"
    )


def test_dead_vs_lr_says_whether_the_40_percent_level_is_reached():
    tables = synthetic_tables(dead_at_high_lr=0.5)
    text, numbers = FINDINGS.get("dead_vs_lr")(tables, tables.all_runs)
    assert (
        "relu: 5.0% at lr 0.01 to 50.0% at lr 1" in text
        and "The 40% level is reached: relu at lr 1." in text
    )
    assert text.startswith("On the 16 of 16 nets that trained (0 untrained, 0 diverged left out)")
    tables = synthetic_tables(dead_at_high_lr=0.2)
    text, numbers = FINDINGS.get("dead_vs_lr")(tables, tables.all_runs)
    assert "No activation reaches 40%" in text and numbers["cells_at_40"] == 0


def test_study_lists_failed_cells():
    text, numbers = FINDINGS.get("study")(synthetic_tables(failed=True), None)
    assert (
        numbers["failed_cells"] == 1 and "**Failed cells**" in text and "RuntimeError: boom" in text
    )
    assert "By outcome: 8 trained, 0 untrained" in text and numbers["outcome_trained"] == 8
    assert (
        numbers["train_share"] == 0.7
        and numbers["load_share"] == 0.05
        and numbers["validate_share"] == 0
    )
    assert (
        "28 s (70%) training" in text and "the rest (15%)" in text
    )  # 40 s of jobs, 28 + 3 + 1 + 2 of them inside


def test_probe_overcount_is_the_probe_minus_whole_set_gap():
    tables = synthetic_tables()
    _, numbers = FINDINGS.get("probe_overcount")(tables, tables.all_runs)
    assert np.isclose(numbers["mean_gap"], 0.01) and numbers["models"] == 16


def test_report_template_only_renders():
    """No code cell over 40 lines, and no sentence built in the notebook (no f-strings, no number
    formatting)."""
    notebook = jupytext.read(ROOT / "report" / "report.py")
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert any("parameters" in cell.metadata.get("tags", []) for cell in notebook.cells)
    for source in code:
        assert len(source.splitlines()) <= 40
        assert (
            'f"' not in source
            and "f'" not in source
            and ".format(" not in source
            and "%" not in source
        ), source


def test_dead_fractions_of_untrained_nets_are_left_out_and_counted():
    tables = synthetic_tables(dead_at_high_lr=0.5, high_lr_outcome="untrained")
    text, numbers = FINDINGS.get("dead_vs_lr")(tables, tables.all_runs)
    assert text.startswith("On the 8 of 16 nets that trained (8 untrained, 0 diverged left out)")
    assert "No activation reaches 40%" in text and numbers["cells_at_40"] == 0


def test_figure_findings_read_each_runs_own_last_epoch():
    """Two experiments of 30 and 45 epochs: the 30-epoch one's final rows are its own epoch 30."""
    tables = synthetic_tables()
    runs = tables.all_runs.assign(activation="prelu")
    short = runs.assign(run_id=runs.run_id + "/short", experiment="short")
    layers = pd.DataFrame(
        [
            dict(
                run_id=r,
                epoch=e,
                layer=layer,
                prelu_slope=0.1 * layer * (1 if lr < 1 else 2),
                depth=4,
                lr=lr,
                outcome="trained",
            )
            for r, lr, last in [(i, lr, 45) for i, lr in zip(runs.run_id, runs.lr)]
            + [(i, lr, 30) for i, lr in zip(short.run_id, short.lr)]
            for e in (0, last)
            for layer in (1, 2)
        ]
    )
    tables = replace(tables, all_runs=pd.concat([runs, short]), layers=layers)
    text, numbers = FINDINGS.get("prelu_slopes")(tables, short)
    assert "depth 4, lr 0.01: first layer 0.100, last layer 0.200" in text
    assert "depth 4, lr 1: first layer 0.200, last layer 0.400" in text, "lrs are not pooled"


def test_accuracy_finding_chooses_on_validation_not_test():
    runs = synthetic_tables().all_runs.assign(
        final_val_acc=lambda r: np.where(r.lr == 0.01, 0.9, 0.8),
        final_test_acc=lambda r: np.where(r.lr == 0.01, 0.7, 0.95),
    )
    text, numbers = FINDINGS.get("accuracy")(None, runs)
    assert numbers == {"d": 0.7} and "lr 0.01" in text, "the 95% cell is best on test only"


def test_claim_groups_count_their_verdicts_and_leave_empty_caveats_blank():
    table = findings_table(synthetic_tables(), CONFIG, captions()).set_index("name")
    assert "**Verdicts: 1 reproduced.**" in table.text["R6"]
    assert "nan" not in table.text["glance"]


def test_abstract_cites_the_rows_it_states():
    text, numbers = FINDINGS.get("abstract")(synthetic_tables(), None)
    assert numbers == {"sentences": 1} and "50.0% (R6-sgd-d4: 1 reproduced)" in text
    empty = replace(synthetic_tables(), claims=synthetic_tables().claims.iloc[1:])
    assert FINDINGS.get("abstract")(empty, None)[0] == "", "no question answered: left out"


def test_metric_definitions_state_the_configured_thresholds():
    text, numbers = metrics({"dead_threshold": 1e-4})
    text = " ".join(text.split())  # Markdown: a line break is a space
    assert "`dead_threshold` (0.0001)" in text and numbers["dead_threshold"] == 1e-4
    assert "τ = 0.1" in text, "an unset value states the default"


def test_a_study_without_claims_leaves_their_sections_out():
    no_claims = replace(
        synthetic_tables(),
        claims=synthetic_tables().claims.iloc[:0],
        claims_status=synthetic_tables().claims_status.iloc[:0],
    )
    table = findings_table(no_claims, CONFIG, captions()).set_index("name")
    assert (table.text[["abstract", "glance", "claims_overview"]] == "").all()
    assert table.text["cells"] and table.text["study"], "the study's own sections stay"


def test_the_cells_table_shows_each_cell_of_the_study():
    text, numbers = FINDINGS.get("cells")(None, synthetic_tables().all_runs)
    assert numbers == {"conditions": 2, "experiments": 1}
    assert "<code>e</code>: 2 conditions in 1 cells, 16 of 16 nets trained (" in text
    html = text.split("</summary>")[1]
    rows = [re.findall(r"<td>(.*?)</td>", row) for row in html.split("<tr>")[1:]]
    assert rows == [
        ["0.01", "8 of 8", "5.0%", "5.0%", "90.0%", "3"],
        ["1", "8 of 8", "50.0%", "50.0%", "90.0%", "&gt; budget"],  # never reached: censored
    ]
    header = re.findall(r"<th>(.*?)</th>", html)
    assert header[0] == "lr", "only what varies within the experiment gets a column"


def test_a_figure_with_nothing_to_draw_says_why_and_has_no_sentence():
    written = dict(captions(), dead_vs_lr="Not drawn: experiment 'e' has no trained nets.")
    table = findings_table(synthetic_tables(), CONFIG, written).set_index("name")
    assert not table.drawn["dead_vs_lr"] and table.text["dead_vs_lr"] == ""
    assert table.caption["dead_vs_lr"].startswith("Not drawn: experiment 'e' has no trained")


def test_a_caption_cites_its_source_only_where_the_claim_reads_that_experiment():
    cited = "CS231n: 'as much as 40% can be dead'"
    assert cited in caption("dead_vs_lr", "e", {"R6": {"experiments": ["e"]}})
    assert cited not in caption("dead_vs_lr", "e", {"R6": {"experiments": ["other"]}})
    assert cited not in caption("dead_vs_lr", "e", {})


def test_dead_vs_lr_with_one_learning_rate_states_it_once():
    runs = synthetic_tables().all_runs.query("lr == 0.01")
    text, _ = FINDINGS.get("dead_vs_lr")(None, runs)
    assert "relu: 5.0% at lr 0.01." in text and " to " not in text


def test_the_fixes_table_reads_each_fix_where_plain_nets_fail():
    plain = synthetic_tables(dead_at_high_lr=0.6, high_lr_outcome="diverged").all_runs
    fix = plain.assign(
        variant="batchnorm",
        norm="batchnorm",
        run_id=plain.run_id.str.replace("/he/", "/he+batchnorm/"),
        outcome="trained",
        dead_final_full=np.where(plain.lr == 1.0, 0.1, 0.05),
        final_val_acc=np.where(plain.lr == 1.0, 0.95, 0.9),
    )
    runs = pd.concat([plain.assign(final_val_acc=0.9), fix], ignore_index=True)
    cost = pd.DataFrame(
        dict(
            experiment="e",
            variant=["none", "batchnorm"],
            optimizer="sgd",
            depth=4,
            relative_to_plain=[1.0, 2.5],
            ci_low=[1.0, 2.2],
            ci_high=[1.0, 2.8],
        )
    )
    tables = StudyTables(all_runs=runs, fix_cost=cost)
    text, numbers = FINDINGS.get("fixes")(tables, runs)
    assert "sgd, depth 4** (plain nets fail at lr 1)" in text
    assert numbers == {"none-sgd-d4-trains": 0, "batchnorm-sgd-d4-trains": 8}
    assert "<td>batchnorm</td>\n      <td>8 of 8</td>\n      <td>10.0% [10.0%, 10.0%]</td>" in text
    assert "<td>1: 90.0%</td>\n      <td>2.50 [2.20, 2.80]</td>" in text, "best lr on validation"
