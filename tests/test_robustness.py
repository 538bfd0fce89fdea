"""Crashes, failing cells, damaged files and bigger machines never cost results (issue:
robustness)."""

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

pytestmark = pytest.mark.slow  # whole DAGs or benchmark runs: minutes

ROOT = Path(__file__).resolve().parents[1]
TINY = yaml.safe_load((ROOT / "tests" / "config" / "tiny.yaml").read_text())


def write_config(path, edit=None):
    config = yaml.safe_load(yaml.safe_dump(TINY))
    if edit:
        edit(config)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def collapse_only(config):
    """The tiny config's collapse experiment alone (and the figures and claims that read it)."""
    config["experiments"] = {"collapse": config["experiments"]["collapse"]}
    config["figures"] = {"collapse": {"experiment": "collapse"}}
    config["claims"] = {"R2": {"experiments": ["collapse"]}}


def snakemake_cmd(workdir, config, *args):
    return [
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


def run(workdir, config, *args):
    return subprocess.run(
        snakemake_cmd(workdir, config, *args), capture_output=True, text=True, timeout=900
    )


def break_one_activation_and_diverge(config):
    # signbit is elementwise (so the config check passes), but its bool output breaks the next layer
    config["activations"].update(broken={"fn": "torch:signbit"})
    config["experiments"]["grid"]["optimizers"] = {"sgd": [0.05, 0.5, 1000.0]}


def test_failed_untrained_and_diverged_runs_are_filtered_once_through_every_stage(tmp_path):
    """A failing cell, diverging nets (lr 1000) and collapsed ones (untrained): the report lists
    the failure, every stage counts each outcome the same way, and claims about working nets say
    how many they left out."""
    result = run(tmp_path, write_config(tmp_path / "c.yaml", break_one_activation_and_diverge))
    assert result.returncode == 0, result.stderr[-3000:]
    tables = tmp_path / "results/tables"
    runs = pd.read_parquet(tables / "runs.parquet")
    broken = runs[runs.activation == "broken"]
    assert len(broken) == 2 * 3 * 2 and broken.failed.all()
    assert broken.error.str.contains("must have the same dtype").all()
    ok = runs[~runs.failed]
    outcomes = ok.outcome.value_counts()
    assert {"trained", "untrained", "diverged"} <= set(outcomes.index), outcomes
    findings = pd.read_csv(tables / "findings.csv").set_index("name")
    study = json.loads(findings.numbers["study"])
    assert study["models"] == len(runs) and study["failed_cells"] == 2  # one per depth
    assert {f"outcome_{k}": v for k, v in outcomes.items()} == {
        k: v for k, v in study.items() if k.startswith("outcome_")
    }
    grid = ok[ok.experiment == "grid"].outcome.value_counts()
    prelu = pd.read_csv(tables / "claims.csv").query("group == 'S-prelu'")
    assert (
        len(prelu)
        and prelu.condition.str.contains(
            f"trained nets only: {grid['trained']} of {grid.sum()} in its experiments "
            f"({grid.get('untrained', 0)} untrained, {grid.get('diverged', 0)} diverged left out)",
            regex=False,
        ).all()
    )
    summary = pd.read_csv(tables / "summary.csv")
    assert "broken" not in set(summary.activation) and summary.n.sum() == outcomes["trained"]
    assert len(list((tmp_path / "results/figures").glob("*.png"))) == len(TINY["figures"])
    html = (tmp_path / "report/report.html").read_text()
    assert "Failed cells" in html and "grid/digits/broken/he/sgd/s0-1/d2-w16" in html
    assert (
        "cell failed"
        in (tmp_path / "results/logs/train/grid/digits/broken/he/sgd/s0-1.log").read_text()
    )


def test_kill_and_resume_retrains_nothing_that_finished(tmp_path):
    config = write_config(tmp_path / "c.yaml")
    proc = subprocess.Popen(
        snakemake_cmd(tmp_path, config),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    finished = []
    deadline = time.time() + 300
    while (
        time.time() < deadline and len(finished) < 2
    ):  # a job's own timing.json (in s<lo>-<hi>/) comes last
        finished = sorted((tmp_path / "results/train").glob("**/s*/timing.json"))
        time.sleep(0.2)
    time.sleep(
        3
    )  # let snakemake record those jobs as finished; jobs finishing meanwhile may be rerun
    os.killpg(proc.pid, signal.SIGKILL)  # snakemake and every job it started
    proc.wait()
    assert finished, "no job finished before the kill"
    assert not (tmp_path / "report/report.html").exists(), "killed before the end"
    before = {
        cell: cell.stat().st_mtime_ns
        for job in finished
        for cell in job.parent.glob("d*/runs.parquet")
    }
    assert (
        run(tmp_path, config, "--unlock").returncode == 0
    )  # Snakemake's lock outlives a SIGKILL by design
    result = run(tmp_path, config)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "report/report.html").exists()
    assert before, "the finished jobs hold cells"
    for cell, mtime in before.items():
        assert cell.stat().st_mtime_ns == mtime, f"{cell} was retrained"
    assert not list(tmp_path.glob("results/**/.*.tmp*")), "no temporary file left behind"


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("small")
    config = write_config(workdir / "c.yaml", collapse_only)
    result = run(workdir, config, "--until", "aggregate")
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir, config


def test_rerun_from_scratch_is_bit_identical(small_run):
    workdir, config = small_run
    job = workdir / "results/train/collapse/abs1d/relu/rai/adam/s0-19"
    cell = job / "d4-w2"
    before = {
        name: cell.joinpath(name).read_bytes()
        for name in ("runs.parquet", "curves.parquet", "layers.parquet")
    }
    stamp = cell.joinpath("runs.parquet").stat().st_mtime_ns
    result = run(
        workdir, config, "--forcerun", str(job.relative_to(workdir)), "--until", "aggregate"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert cell.joinpath("runs.parquet").stat().st_mtime_ns != stamp, "the cell was trained again"
    for name, content in before.items():
        assert cell.joinpath(name).read_bytes() == content, name


def test_progress_is_logged(small_run):
    workdir, _ = small_run
    log = (workdir / "results/logs/train/collapse/abs1d/relu/he/adam/s0-19.log").read_text()
    assert "epoch 2/2: 20 models (0 diverged)" in log and "s left" in log


def test_damaged_results_file_stops_before_any_work(small_run, tmp_path):
    workdir, config = small_run
    target = workdir / "results/train/collapse/abs1d/relu/he/adam/s0-19/d4-w2/runs.parquet"
    good = target.read_bytes()
    tables = workdir / "results/tables/runs.parquet"
    stamp = tables.stat().st_mtime_ns
    target.write_bytes(good[: len(good) // 2])
    try:
        result = run(workdir, config, "--until", "aggregate")
        assert result.returncode != 0
        assert (
            f"{target.relative_to(workdir)}: damaged results file" in result.stdout + result.stderr
        )
        repair = "snakemake --forcerun results/train/collapse/abs1d/relu/he/adam/s0-19"
        assert f"`rm {target.relative_to(workdir)} && {repair}`" in result.stdout + result.stderr
        assert tables.stat().st_mtime_ns == stamp, "existing tables untouched"
        target.unlink()  # the named command: rm, then the job's --forcerun
        fixed = run(workdir, config, "--until", "aggregate", *repair.split()[1:])
        assert fixed.returncode == 0, fixed.stderr[-2000:]
        assert pd.read_parquet(target).equals(pd.read_parquet(io.BytesIO(good))), "retrained alike"
    finally:
        target.write_bytes(good)


def test_damaged_table_is_rebuilt_by_the_printed_command(small_run):
    workdir, config = small_run
    table = workdir / "results/tables/runs.parquet"
    good = pd.read_parquet(table)
    table.write_bytes(table.read_bytes()[:100])
    result = run(workdir, config, "--until", "aggregate")
    command = "rm results/tables/runs.parquet && snakemake --forcerun aggregate"
    assert result.returncode != 0 and f"`{command}`" in result.stdout + result.stderr
    table.unlink()
    fixed = run(workdir, config, "--until", "aggregate", "--forcerun", "aggregate")
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    assert pd.read_parquet(table).equals(good)


def test_a_failing_aggregate_leaves_the_tables_as_they_were(small_run):
    """Snakemake deletes a failed job's outputs; the workflow puts the tables back."""
    workdir, config = small_run
    tables = workdir / "results/tables"
    before = {path.name: path.read_bytes() for path in tables.glob("*")}
    cell = workdir / "results/train/collapse/abs1d/relu/he/adam/s0-19/d4-w2/runs.parquet"
    good = cell.read_bytes()
    pd.DataFrame({"x": [1]}).to_parquet(cell)  # readable, but not a runs table
    try:
        result = run(workdir, config, "--until", "aggregate", "--forcerun", "aggregate")
        assert result.returncode != 0
        assert "they are back as they were before this run" in result.stdout + result.stderr
        assert {path.name: path.read_bytes() for path in tables.glob("*")} == before
    finally:
        cell.write_bytes(good)
    again = run(workdir, config, "--until", "aggregate")
    assert again.returncode == 0, again.stderr[-2000:]


def test_missing_optional_dataset_file_is_named_before_any_job(tmp_path):
    def use_idx(c):
        c["datasets"]["fashion"] = {
            "fn": "idx",
            "root": str(tmp_path / "nowhere"),
            "name": "fashion",
        }
        c["experiments"]["grid"]["datasets"] = ["fashion"]

    result = run(tmp_path, write_config(tmp_path / "c.yaml", use_idx), "-n")
    assert result.returncode != 0
    assert (
        f"datasets.fashion: dataset 'fashion': missing {tmp_path}/nowhere/train-images-idx3-ubyte"
        in result.stdout + result.stderr
    )
    assert not (tmp_path / "results").exists()


def test_every_job_is_self_contained_under_a_cluster_executor(tmp_path):
    """Each job runs as its own submitted script (generic cluster executor, local submit
    command)."""
    config = write_config(tmp_path / "c.yaml", collapse_only)
    result = run(
        tmp_path,
        config,
        "--executor",
        "cluster-generic",
        "--cluster-generic-submit-cmd",
        "bash",
        "--jobs",
        "2",
        "--until",
        "aggregate",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    runs = pd.read_parquet(tmp_path / "results/tables/runs.parquet")
    assert len(runs) == 3 * 20 and not runs.failed.any()  # collapse: 3 inits x 20 seeds


def test_a_cell_table_without_the_new_cell_keys_is_named_with_its_repair(tmp_path):
    from deadunits.io import check_columns

    path = tmp_path / "results/train/e/d/relu/he/sgd/s0-7/d4-w8/runs.parquet"
    old = pd.DataFrame({"run_id": ["a"], "lr": [0.1], "norm": ["none"]})
    with pytest.raises(ValueError) as err:
        check_columns({path: old}, ["run_id", "lr", "norm", "variant", "intervention"])
    assert "lacks the columns ['variant', 'intervention']" in str(err.value)
    assert "snakemake --forcerun results/train/e/d/relu/he/sgd/s0-7" in str(err.value)
    check_columns({path: old.assign(variant="none", intervention="none")}, old.columns)
