"""The one hand-off between the stages after training: aggregate's tables, read once, with the
failed and untrained runs filtered here and nowhere else."""

import json
from dataclasses import dataclass, fields, replace
from pathlib import Path

import pandas as pd

from deadunits.io import read_parquet


@dataclass(frozen=True)
class StudyTables:
    """A study's results (docs/tables.md). ``all_runs`` holds every run, those of failed cells
    included (the report lists them); ``runs`` the runs of cells that did not fail, which every
    number is computed from. Tables a stage was not given stay None."""

    all_runs: pd.DataFrame
    curves: pd.DataFrame | None = None
    layers: pd.DataFrame | None = None
    born_dead: pd.DataFrame | None = None
    lengths: pd.DataFrame | None = None
    cost: pd.DataFrame | None = None
    fix_cost: pd.DataFrame | None = None
    revival: pd.DataFrame | None = None
    dead_cost: pd.DataFrame | None = None
    claims: pd.DataFrame | None = None
    claims_status: pd.DataFrame | None = None
    timing: pd.DataFrame | None = None  # one row per training job: its timing.json
    bench: pd.DataFrame | None = None  # one row per training job: Snakemake's benchmark

    @property
    def runs(self) -> pd.DataFrame:
        return self.all_runs[~self.all_runs.failed]

    def of(self, runs: pd.DataFrame) -> "StudyTables":
        """These tables cut to ``runs`` (a subset of ``runs``): their curves and layers too."""
        keep = {
            name: table[table.run_id.isin(runs.run_id)]
            for name in ("curves", "layers")
            if (table := getattr(self, name)) is not None
        }
        return replace(self, all_runs=runs, **keep)

    def trained(self) -> "StudyTables":
        """The nets that trained: what a claim or figure about working nets reads."""
        return self.of(trained(self.runs))

    @classmethod
    def read(cls, inputs, timings=(), benchmarks=()) -> "StudyTables":
        """The tables a rule was given, by input name (parquet or CSV by suffix; ``runs`` becomes
        ``all_runs``), plus the training jobs' ``timings`` (JSON) and ``benchmarks`` (TSV)."""
        names = {f.name for f in fields(cls)} | {"runs"}
        tables = {
            "all_runs" if name == "runs" else name: _read(path)
            for name in names
            if (path := getattr(inputs, name, None)) is not None
        }
        if timings:
            tables["timing"] = pd.DataFrame([json.loads(Path(p).read_text()) for p in timings])
        if benchmarks:
            tables["bench"] = pd.concat([pd.read_csv(p, sep="\t") for p in benchmarks])
        return cls(**tables)


def trained(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs whose outcome is ``trained`` (docs/metrics.md): a diverged or untrained net's units
    say nothing about a working net."""
    return runs[runs.outcome == "trained"]


def _read(path) -> pd.DataFrame:
    return read_parquet(path) if str(path).endswith(".parquet") else pd.read_csv(path)
