"""The Snakemake workflow end to end on tests/config/tiny.yaml, and the config checks in front of
it."""

import copy
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from snakemake.utils import validate

from deadunits.preflight import main as preflight_main
from deadunits.preflight import plan
from deadunits.study import ConfigError, resolve_config, training_jobs

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "config" / "tiny.yaml"
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
DEFAULT = ROOT / "config.yaml"


def snakemake(workdir, *args, config=TINY):
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(config),
        "--cores",
        "2",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def planned_jobs(result) -> dict:
    """Job counts from the 'Job stats' table of a dry run."""
    table = result.stdout.split("Job stats:")[1].split("\n\n")[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("tiny")
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir


@pytest.mark.slow
def test_tiny_config_runs_the_whole_dag(tiny_run):
    runs = pd.read_parquet(tiny_run / "results/tables/runs.parquet")
    config = yaml.safe_load(TINY.read_text())
    assert (
        len(runs) == 2 * 1 * 2 * 2 * 2 + 4 * 2 * 2 + 1 * 3 * 1 * 20
    )  # grid: acts x inits x depths x lrs x seeds; arch: variants x lrs x seeds; collapse
    arch = runs[runs.experiment == "arch"].groupby("variant")
    assert set(arch.norm.first()) == {"none", "batchnorm"} and arch.ngroups == 4
    assert (
        arch.get_group("batchnorm")
        .run_id.str.startswith("arch/digits/relu/he+batchnorm/sgd/")
        .all()
    )
    assert set(arch.get_group("redo").intervention) == {"redo"}
    assert set(arch.get_group("weight_decay").weight_decay) == {1e-3}
    assert set(arch.get_group("none").weight_decay) == {0.0}
    assert set(runs[runs.experiment == "grid"].norm) == {"none"}
    claims = pd.read_csv(tiny_run / "results/tables/claims.csv")
    assert {"F1-trains-sgd-d3", "F4-dormant-sgd-d3", "F5-dead-sgd-d3"} <= set(claims.claim_id)
    cost = pd.read_csv(tiny_run / "results/tables/fix_cost.csv").set_index("variant")
    assert set(cost.index) == {"none", "batchnorm", "redo", "weight_decay"}
    assert cost.relative_to_plain["none"] == 1 and (cost.seconds_per_step > 0).all()
    for column in [
        "experiment",
        "dataset",
        "activation",
        "init",
        "depth",
        "width",
        "optimizer",
        "weight_decay",
        "norm",
        "residual",
        "intervention",
        "variant",
        "lr",
        "seed",
        "dead_init",
        "dead_final",
        "dead_final_full",
        "inactive_final",
        "inactive_final_full",
        "dormant_final",
        "born_dead",
        "collapsed",
        "diverged",
        "steps_to_target",
        "epochs_to_target",
        "final_test_acc",
        "code_version",
        "machine",
    ]:
        assert column in runs, column
    layers = pd.read_parquet(tiny_run / "results/tables/layers.parquet")
    assert {
        "inactive",
        "dead",
        "dormant",
        "act_mean",
        "bias_shift",
        "act_std",
        "grad_norm_mean",
        "grad_norm_max",
        "prelu_slope",
        "recycled",
        "epoch",
        "layer",
    } <= set(layers.columns)
    summary = pd.read_csv(tiny_run / "results/tables/summary.csv")
    assert {"dead_final_mean", "dead_final_ci_low", "dead_final_ci_high", "n"} <= set(
        summary.columns
    )
    for name in config["figures"]:
        assert (tiny_run / f"results/figures/{name}.png").stat().st_size > 5000
        assert (tiny_run / f"results/figures/{name}.svg").exists()
        rst = (tiny_run / f"results/figures/{name}.rst").read_text()
        assert not re.search(r"(?<!\\)\|", rst), "RST reads |x| as a substitution (--report)"
    html = (tiny_run / "report/report.html").read_text()
    assert html.count("data:image/png;base64") >= len(config["figures"]), "figures embedded"
    assert "def show(" not in html, "the notebook's code is hidden"
    findings = pd.read_csv(tiny_run / "results/tables/findings.csv", keep_default_na=False)
    stated = findings[(findings.section == "figure") & (findings.text != "")]
    assert len(stated) >= 10 and all(
        re.search(r"\d", t.split("Measured:**", 1)[1]) for t in stated.text
    ), "every figure finding states a number"
    assert re.search(
        r"\d+ models(</strong>)? in (<strong>)?\d+ cells(</strong>)?, "
        r"trained by (<strong>)?\d+ jobs",
        html,
    )
    assert (tiny_run / "results/benchmarks/aggregate.tsv").exists()


@pytest.mark.slow
def test_rerun_plans_nothing_and_new_activation_plans_only_its_cells(tiny_run, tmp_path):
    assert "Nothing to be done" in snakemake(tiny_run, "-n").stdout
    config = yaml.safe_load(TINY.read_text())
    config["activations"]["leaky_0.2"] = {"fn": "leaky_relu", "negative_slope": 0.2}
    extended = tmp_path / "extended.yaml"
    extended.write_text(yaml.safe_dump(config))
    jobs = planned_jobs(snakemake(tiny_run, "-n", config=extended))
    assert jobs == {
        "train": 1,
        "activation_cost": 1,
        "aggregate": 1,
        "claims": 1,
        "figures": 1,
        "findings": 1,
        "report": 1,
        "all": 1,
        "total": 8,
    }  # one training job (the new activation's two depths), and its cost beside ReLU's


def drop_figure(config):
    del config["figures"]["born_dead"]


def more_draws(config):
    config["simulate"]["born_dead"]["draws"] = 300


def drop_claim(config):
    del config["claims"]["R8"]


def more_revival_seeds(config):
    config["revival"]["seeds"] = 3


def more_dead_cost_seeds(config):
    config["dead_cost"]["ablate"]["seeds"] = 3


def redirect_figure(config):
    config["figures"]["loss_curves_collapse"]["experiment"] = "grid"


def drop_simulation_and_its_readers(config):
    """No claim or figure reads the simulation any more, so the section can go."""
    del config["simulate"], config["claims"]["R1"], config["claims"]["R8"]
    del config["figures"]["born_dead"], config["figures"]["length_variance"]


def relabel_claim_experiments(config):
    config["claims"]["R6"] = {"experiments": ["grid", "collapse"]}


@pytest.mark.slow
@pytest.mark.parametrize(
    "edit, rules",
    [
        (drop_figure, {"figures", "findings", "report"}),
        (more_dead_cost_seeds, {"dead_cost", "claims", "figures", "findings", "report"}),
        (redirect_figure, {"figures", "findings", "report"}),
        (drop_simulation_and_its_readers, {"claims", "figures", "findings", "report"}),
        (relabel_claim_experiments, {"claims", "figures", "findings", "report"}),
        (more_draws, {"simulate", "claims", "figures", "findings", "report"}),
        (drop_claim, {"claims", "figures", "findings", "report"}),  # captions cite claims
        (more_revival_seeds, {"revival", "claims", "figures", "findings", "report"}),
    ],
)
def test_an_edit_reruns_exactly_the_rules_that_read_it(tiny_run, tmp_path, edit, rules):
    config = yaml.safe_load(TINY.read_text())
    edit(config)
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(config))
    jobs = planned_jobs(snakemake(tiny_run, "-n", config=edited))
    assert set(jobs) - {"all", "total"} == rules


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c["experiments"]["grid"].update(depths=[0]), "0 is less than the minimum of 1"),
        (
            lambda c: c["experiments"]["grid"].update(depths=[-2]),
            "-2 is less than the minimum of 1",
        ),
        (
            lambda c: c["experiments"]["grid"].update(optimizers={"sgd": [0.0]}),
            "0.0 is less than or equal to the minimum of 0",
        ),
        (lambda c: c["experiments"]["grid"].update(seeds=2.5), "2.5 is not of type 'integer'"),
        (lambda c: c["experiments"]["grid"].update(depths=[]), r"\[\] should be non-empty"),
        (lambda c: c["experiments"]["grid"].update(dephts=[2]), "'dephts' was unexpected"),
        (
            lambda c: c.update(optimizers={"rms": {"fn": "rmsprop"}}),
            "'rmsprop' is not one of",
        ),
    ],
)
def test_schema_rejects_bad_values(edit, message):
    config = yaml.safe_load(TINY.read_text())
    edit(config)
    with pytest.raises(Exception, match=message):
        validate(config, str(SCHEMA))


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda c: c.pop("revival"),
            "figures.revival reads the revival table, made from the revival: section",
        ),
        (
            lambda c: c["experiments"]["grid"].update(activations=["relu", "swish"]),
            "experiments.grid.activations: unknown name 'swish'; "
            "define it under activations: or pick one of",
        ),
        (
            lambda c: c["experiments"]["grid"].update(datasets=["cifar10"]),
            "experiments.grid.datasets: unknown name 'cifar10'",
        ),
        (
            lambda c: c["activations"].update(bad={"fn": "relu6"}),
            "activations.bad: unknown activation 'relu6'; known:",
        ),
        (
            lambda c: c["inits"].update(bad={"fn": "he_normal", "gain": 2}),
            "inits.bad: init 'he_normal' takes no argument 'gain'",
        ),
        (
            lambda c: c["datasets"].update(bad={"fn": "digits", "n": 3}),
            "datasets.bad: dataset 'digits' takes no argument 'n'",
        ),
        (
            lambda c: c["experiments"]["grid"].update(
                settings={"target": {"metric": "accuracy", "value": 1}}
            ),
            "target metric 'accuracy'",
        ),
        (
            lambda c: c["figures"].update(curves_b={"fn": "loss_curve", "experiment": "grid"}),
            "figures.curves_b: unknown figure 'loss_curve'",
        ),
        (
            lambda c: c.update(interventions={"redo": {"fn": "redo", "every": 5, "tua": 0.1}}),
            "interventions.redo: intervention 'redo' takes no argument 'tua'",
        ),
        (
            lambda c: c["experiments"]["grid"].update(interventions=["redoo"]),
            "experiments.grid.interventions: unknown intervention 'redoo'; define it under "
            "interventions: or pick one of ['none', 'redo']",
        ),
        (
            lambda c: c.update(optimizers={"sgd_l2": {"fn": "sgd", "betas": [0.9, 0.99]}}),
            "optimizers.sgd_l2: fn 'sgd' with options ['betas']; expected fn and options from",
        ),
        (
            lambda c: c["experiments"]["grid"].update(optimizers={"sgd_l2": [0.1]}),
            "experiments.grid.optimizers: unknown optimizer 'sgd_l2'; define it under "
            "optimizers: or pick one of ['adam', 'adamw', 'sgd', 'sgd_wd']",
        ),
        (
            lambda c: c["experiments"]["arch"]["variants"].update(same={"inits": ["he"]}),
            "experiments.arch.variants.same: trains cell arch/digits/relu/he/sgd/s0-1/d3-w16, "
            "which variant 'none' trains already",
        ),
        (
            lambda c: c["experiments"]["grid"].update(variants={"bn": {"norms": ["batchnorm"]}}),
            "experiments.grid.activations: ['relu', 'prelu']; an experiment with variants "
            "compares each fix with one plain net",
        ),
        (
            lambda c: c["experiments"]["arch"]["variants"].update(
                wd2={"optimizers": {"sgd_wd": [0.05]}}
            ),
            "experiments.arch.variants.wd2.optimizers: {'sgd_wd': [0.05]}; expected one optimizer "
            "per optimizer of the experiment, in its order and with its learning rates",
        ),
        (
            lambda c: c["experiments"]["arch"]["variants"].update(typo={"activations": ["rel"]}),
            "experiments.arch.variants.typo.activations: unknown name 'rel'",
        ),
        (
            lambda c: c["experiments"]["grid"].update(widths=[[8, 4, 2]]),
            "experiments.grid.widths: [8, 4, 2] gives 3 hidden layers, "
            "but depths are [2, 4]; add 3 to depths",
        ),
    ],
)
def test_config_names_are_checked_before_training(edit, message):
    config = yaml.safe_load(TINY.read_text())
    edit(config)
    with pytest.raises(
        (ConfigError, ValueError), match=re.escape(message) if "\\" not in message else message
    ):
        plan(config)


def rename_bias_init(config):
    config["inits"]["bias_init"] = config["inits"].pop("he_bias0.1")


@pytest.mark.slow
@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda c: c["experiments"]["grid"].update(activations=["relu", "swish"]),
            "unknown name 'swish'",
        ),
        (
            rename_bias_init,
            "claims.R2 needs inits entry 'he_bias0.1'",
        ),  # the dry run names the claim and the entry
        (
            lambda c: c["experiments"]["arch"]["variants"].update(mine={"interventions": ["rdo"]}),
            "experiments.arch.variants.mine.interventions: unknown intervention 'rdo'",
        ),
    ],
)
def test_snakemake_reports_a_bad_config_in_seconds(tmp_path, edit, message):
    config = yaml.safe_load(TINY.read_text())
    edit(config)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config))
    result = snakemake(tmp_path, "-n", config=bad)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


def test_paper_config_is_valid_and_plans_a_larger_study():
    config = resolve_config(yaml.safe_load((ROOT / "config" / "paper.yaml").read_text()), DEFAULT)
    validate(copy.deepcopy(config), str(SCHEMA))
    cells = plan(config)
    assert sum(len(c["lrs"]) * len(c["seeds"]) for c in cells.values()) > 30000


def test_per_layer_widths_pair_with_the_depth_of_their_length():
    config = yaml.safe_load(TINY.read_text())
    config["experiments"]["grid"].update(widths=[4, [8, 2]])  # depths [2, 4]
    validate(copy.deepcopy(config), str(SCHEMA))
    cells = {i: c for i, c in plan(config).items() if c["key"]["experiment"] == "grid"}
    shapes = {
        (c["key"]["depth"], c["key"]["width"], c["key"]["layer_widths"], tuple(c["widths"]))
        for c in cells.values()
    }
    assert shapes == {(2, 4, "4x2", (4, 4)), (4, 4, "4x4", (4, 4, 4, 4)), (2, 8, "8-2", (8, 2))}
    assert any(i.endswith("/d2-w8-2") for i in cells) and any(i.endswith("/d4-w4") for i in cells)
    jobs = training_jobs(cells)
    assert sorted(len(job) for job in jobs.values()) == [3, 3], (
        "each job: one activation's three shapes"
    )
    assert all(
        cell_id.startswith(f"{job}/") for job, job_cells in jobs.items() for cell_id in job_cells
    )


def test_default_config_is_valid_and_large_enough():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    validate(copy.deepcopy(config), str(SCHEMA))
    cells = plan(config)
    models = sum(len(c["lrs"]) * len(c["seeds"]) for c in cells.values())
    assert models >= 2000
    depths = {c["key"]["depth"] for c in cells.values()}
    assert min(depths) <= 2 and max(depths) >= 32


def test_renaming_an_init_a_claim_needs_fails_naming_both():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["inits"]["he_normal"] = config["inits"].pop("he")
    for experiment in config["experiments"].values():
        experiment["inits"] = ["he_normal" if i == "he" else i for i in experiment["inits"]]
    config["inits"]["standard"]["otherwise"] = "he_normal"
    with pytest.raises(
        ConfigError, match=r"claims\.R2 needs inits entry 'he', which is not defined under inits:"
    ):
        plan(config)
    config["inits"]["he"] = config["inits"][
        "he_normal"
    ]  # defined again, but no experiment of R2 trains it
    with pytest.raises(
        ConfigError,
        match=r"claims\.R2 needs inits entry 'he', which none of its experiments "
        r"\(collapse, collapse_width\) trains",
    ):
        plan(config)


@pytest.mark.slow
def test_a_config_of_its_own_plans_only_its_study(tmp_path):
    jobs = planned_jobs(snakemake(tmp_path, "-n"))
    assert jobs["train"] == len(
        training_jobs(plan(yaml.safe_load(TINY.read_text())))
    )  # 5, not the default study's


def test_paper_overlay_holds_only_what_differs_from_the_default():
    default, paper = (
        yaml.safe_load(DEFAULT.read_text()),
        yaml.safe_load((ROOT / "config" / "paper.yaml").read_text()),
    )
    assert paper["extends"] == "config.yaml"
    for section in (
        "datasets",
        "activations",
        "inits",
        "experiments",
        "claims",
        "figures",
        "simulate",
    ):
        for name, entry in paper.get(section, {}).items():
            assert entry != default[section][name], f"{section}.{name} repeats config.yaml"
    for name, overlay in paper["experiments"].items():
        for key, value in overlay.items():
            assert value != default["experiments"][name].get(key), (
                f"experiments.{name}.{key} repeats config.yaml"
            )


def test_overrides_without_experiments_apply_to_the_default_study():
    default = yaml.safe_load(DEFAULT.read_text())
    assert resolve_config({}, DEFAULT) == default
    overridden = resolve_config({"threads": 2, "defaults": {"epochs": 3}}, DEFAULT)
    assert overridden["threads"] == 2 and overridden["defaults"] == {
        **default["defaults"],
        "epochs": 3,
    }
    assert overridden["experiments"] == default["experiments"]
    with pytest.raises(
        ConfigError,
        match="extends: 'nowhere.yaml': no file .*nowhere.yaml; expected the path of a config YAML",
    ):
        resolve_config({"extends": "nowhere.yaml"}, DEFAULT)


def test_standard_init_gives_each_activation_its_own():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    spec = {
        c["key"]["activation"]: c["init_spec"]["fn"]
        for c in plan(config).values()
        if c["key"]["experiment"] == "activations"
    }
    assert (spec["selu"], spec["tanh"], spec["sigmoid"], spec["relu"], spec["prelu"]) == (
        "lecun_normal",
        "xavier_normal",
        "xavier_normal",
        "he_normal",
        "he_normal",
    )
    config["inits"]["standard"]["by_activation"]["selu"] = "lecun_typo"
    with pytest.raises(
        ConfigError,
        match=r"inits\.standard: 'lecun_typo' \(for activation 'selu'\) is not a plain init",
    ):
        plan(config)


def test_numbers_written_like_1e_minus_3_are_numbers():
    """YAML 1.1 reads `sgd: [1e-3]` as the string '1e-3'; the study reads it as 0.001."""
    config = yaml.safe_load(TINY.read_text())
    config["experiments"]["grid"]["optimizers"] = yaml.safe_load("{sgd: [1e-3, 5E-2]}")
    config["activations"]["leaky_1e-2"] = yaml.safe_load("{fn: leaky_relu, negative_slope: 1e-2}")
    study = resolve_config(config, DEFAULT)
    assert study["experiments"]["grid"]["optimizers"] == {"sgd": [0.001, 0.05]}
    assert study["activations"]["leaky_1e-2"] == {"fn": "leaky_relu", "negative_slope": 0.01}
    validate(study, str(SCHEMA))


def test_a_yaml_syntax_error_names_file_line_and_column(tmp_path, capsys):
    bad = tmp_path / "mine.yaml"
    bad.write_text("experiments:\n  grid: {datasets: [digits\n  x: 1\n")
    with pytest.raises(SystemExit, match=re.escape(f"{bad}:3:4: not valid YAML")):
        preflight_main(str(bad))  # python -m deadunits.preflight mine.yaml
    preflight_main(str(TINY))
    assert capsys.readouterr().out.strip() == f"{TINY}: 11 cells in 9 training jobs"


@pytest.mark.slow
def test_a_study_of_ones_own_runs_only_what_it_needs_and_its_report_fits(tmp_path):
    """No simulate:, revival: or dead_cost: section and no claims: only training, the tables,
    figures and report run; the report shows the study's cells and leaves empty sections out."""
    mine = {
        "datasets": {"digits": {"fn": "digits"}},
        "activations": {"relu": {"fn": "relu"}, "leaky": {"fn": "leaky_relu"}},
        "inits": {"he": {"fn": "he_normal"}},
        "defaults": {"epochs": 2, "probe_size": 128, "target": {"metric": "error", "value": 0.5}},
        "experiments": {
            "mine": {
                "datasets": ["digits"],
                "activations": "all",
                "inits": ["he"],
                "depths": [2],
                "widths": [16],
                "optimizers": {"sgd": [0.05]},
                "seeds": 2,
            }
        },
        "figures": {"dead_vs_lr": {"experiment": "mine"}, "prelu_slopes": {"experiment": "mine"}},
    }
    config = tmp_path / "mine.yaml"
    config.write_text(yaml.safe_dump(mine))
    result = snakemake(tmp_path, config=config)
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = planned_jobs(subprocess.CompletedProcess([], 0, result.stdout + result.stderr))
    needed = {"dataset", "train", "aggregate", "claims", "figures", "findings", "report", "all"}
    assert set(jobs) - {"total"} == needed, "no simulate, activation_cost, revival or dead_cost"
    html = (tmp_path / "report/report.html").read_text()
    assert "<title>deadunits report</title>" in html
    assert "The study’s cells" in html or "The study's cells" in html
    for left_out in ("In a minute", "Findings at a glance", "Claims and verdicts", "CS231n"):
        assert left_out not in html, left_out
    assert "Not drawn: experiment 'mine' has no trained PReLU nets." in html
    report = (tmp_path / "report/report.html").resolve()
    assert f"deadunits: the report is {report}" in result.stdout + result.stderr


def test_the_readme_study_is_complete_and_valid():
    """The README's "Your own study" config, as printed, passes every check and plans its grid."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("# my_study.yaml\n")[1].split("```")[0]
    study = resolve_config(yaml.safe_load(block), DEFAULT)
    validate(study, str(SCHEMA))
    assert len(training_jobs(plan(study))) == 2  # one job per activation: depths 4 and 8


def test_adding_a_norm_or_residual_plans_only_its_cells():
    config = resolve_config(yaml.safe_load(TINY.read_text()), DEFAULT)
    before = set(plan(config))
    config["experiments"]["grid"].update(norms=["none", "layernorm"], residual=["plain", 0.25])
    after = set(plan(config))
    assert before <= after, "existing cells keep their ids: nothing is retrained"
    new = sorted(after - before)
    assert len(new) == 3 * sum(c.startswith("grid/") for c in before)
    assert "grid/digits/relu/he+layernorm+res0.25/sgd/s0-1/d2-w16" in new
    config["experiments"]["grid"]["norms"] = ["groupnorm"]
    with pytest.raises(ConfigError, match="experiments.grid.norms: unknown norm 'groupnorm'"):
        plan(config)


def test_optimizers_interventions_and_variants_are_cell_keys_planned_alone():
    config = resolve_config(yaml.safe_load(TINY.read_text()), DEFAULT)
    config["experiments"]["grid"]["activations"] = ["relu"]  # one plain net per depth
    del config["claims"]["S-prelu"]
    before = plan(config)
    config["optimizers"] = {"sgd_wd": {"fn": "sgd", "weight_decay": 1e-3}}
    config["interventions"] = {"redo": {"fn": "redo", "every": 3, "tau": 0.1}}
    config["experiments"]["grid"]["variants"] = {
        "wd": {"optimizers": {"sgd_wd": [0.05, 0.5]}},
        "redo": {"interventions": ["redo"]},
        "bn": {"norms": ["batchnorm"]},
    }
    after = plan(config)
    assert set(before) <= set(after), "existing cells keep their ids: nothing is retrained"
    new = {k: after[k] for k in sorted(set(after) - set(before))}
    grid = [k for k in before if k.startswith("grid/")]
    assert len(new) == 3 * len(grid)  # each variant: every grid cell (two depths)
    wd = new["grid/digits/relu/he/sgd_wd/s0-1/d2-w16"]
    assert wd["key"]["variant"] == "wd" and wd["key"]["plain_optimizer"] == "sgd"
    assert wd["settings"]["optimizer"] == "sgd" and wd["settings"]["weight_decay"] == 1e-3
    redo = new["grid/digits/relu/he+redo/sgd/s0-1/d4-w16"]
    assert redo["key"]["intervention"] == "redo" and redo["settings"]["intervention"]["tau"] == 0.1
    assert redo["lrs"] == before["grid/digits/relu/he/sgd/s0-1/d4-w16"]["lrs"]
    assert new["grid/digits/relu/he+batchnorm/sgd/s0-1/d2-w16"]["key"]["norm"] == "batchnorm"
    assert {before[c]["key"]["variant"] for c in grid} == {"none"}
