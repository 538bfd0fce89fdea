"""Everything checked before any job runs: the config's grid (``study.plan_cells``) and its output
sections, whose names (figures, claims, the follow-up experiments) must exist. The output layer's
registries are read here, so that study.py, from config to cells, does not depend on them.

``python -m deadunits.preflight my.yaml`` runs these checks on a config file without Snakemake,
naming the line of a YAML syntax error (Snakemake's own message does not)."""

import sys
from pathlib import Path

from deadunits.claims import CLAIMS
from deadunits.figures import FIGURES, figure_fn
from deadunits.study import (
    ConfigError,
    _check,
    _names,
    load_yaml,
    plan_cells,
    resolve_config,
    training_jobs,
)

# the tables a claim or figure may read beyond runs, curves and layers, and the config section each
# is made from (None: none needed); a study builds only those its claims and figures read
OPTIONAL_TABLES = {
    "born_dead": "simulate",
    "lengths": "simulate",
    "cost": None,
    "fix_cost": None,
    "revival": "revival",
    "dead_cost": "dead_cost",
}


def plan(config: dict) -> dict:
    """The config's cells, by id, after every check; raises ConfigError before any work."""
    cells = plan_cells(config)
    check_outputs(config)
    return cells


def check_outputs(config: dict) -> None:
    """Figures, claims and the init simulation name things that exist."""
    experiments = set(config["experiments"])
    for section, registry, key in (
        ("figures", FIGURES, "experiment"),
        ("claims", CLAIMS, "experiments"),
    ):
        for name, options in config.get(section, {}).items():
            _check(f"{section}.{name}", lambda: registry.get(figure_fn(name, options)))
            wanted = (options or {}).get(key) or []
            for exp in [wanted] if isinstance(wanted, str) else wanted:
                if exp not in experiments:
                    raise ConfigError(
                        f"{section}.{name}: unknown experiment {exp!r}; "
                        f"pick one of {sorted(experiments)}"
                    )
    for name, options in config.get("claims", {}).items():
        check_claim_needs(config, name, (options or {}).get("experiments"))
    tables_needed(config)
    check_followups(config)
    dataset = config.get("simulate", {}).get("born_dead", {}).get("dataset")
    if dataset is not None and dataset not in config["datasets"]:
        raise ConfigError(
            f"simulate.born_dead.dataset: unknown dataset {dataset!r}; "
            f"pick one of {sorted(config['datasets'])}"
        )


def tables_needed(config: dict) -> list:
    """The optional tables the study's claims and figures read (OPTIONAL_TABLES); raises when one
    is made from a config section the study lacks."""
    readers = [
        (f"figures.{name}", FIGURES.get(figure_fn(name, options)).reads)
        for name, options in config.get("figures", {}).items()
    ] + [(f"claims.{name}", CLAIMS.get(name).reads) for name in config.get("claims", {})]
    for reader, tables in readers:
        for table in tables:
            section = OPTIONAL_TABLES[table]
            if section is not None and section not in config:
                raise ConfigError(
                    f"{reader} reads the {table} table, made from the {section}: section, which "
                    f"this config lacks; add it (see config.yaml) or drop {reader}"
                )
    return sorted({table for _, tables in readers for table in tables})


def check_followups(config: dict) -> None:
    """The revival and dead_cost sections name a dataset, an init and activations that exist."""
    for section in ("revival", "dead_cost"):
        spec = config.get(section)
        if spec is None:
            continue
        for field, registry in (("dataset", "datasets"), ("init", "inits")):
            if spec[field] not in config[registry]:
                raise ConfigError(
                    f"{section}.{field}: unknown {registry[:-1]} {spec[field]!r}; "
                    f"pick one of {sorted(config[registry])}"
                )
        for name in spec.get("activations", ["relu"]):
            if name not in config["activations"]:
                raise ConfigError(
                    f"{section}.activations: unknown activation {name!r}; define it "
                    f"under activations: or pick one of {sorted(config['activations'])}"
                )
        if "relu" not in spec.get("activations", ["relu"]) or "relu" not in config["activations"]:
            raise ConfigError(f"{section}: needs activation 'relu' (its arms are compared with it)")


def check_claim_needs(config: dict, name: str, experiments) -> None:
    """Every config entry a claim reads (its ``needs``) is defined, and trained by one of its
    experiments."""
    for section, labels in CLAIMS.get(name).needs.items():
        for label in labels:
            if label not in config.get(section, {}):
                raise ConfigError(
                    f"claims.{name} needs {section} entry {label!r}, which is not defined under "
                    f"{section}:; define it, or drop {name} from claims:"
                )
            used = [
                exp
                for exp in experiments or []
                if label
                in _names(
                    f"experiments.{exp}",
                    section,
                    config["experiments"][exp][section],
                    config[section],
                )
            ]
            if experiments and not used:
                raise ConfigError(
                    f"claims.{name} needs {section} entry {label!r}, which none of its experiments "
                    f"({', '.join(experiments)}) trains; add it to one of them, "
                    f"or drop {name} from claims:"
                )


def main(path: str) -> None:
    """Check the config file at ``path`` as ``snakemake --configfile path`` would read it."""
    try:
        config = resolve_config(load_yaml(path), Path(__file__).parents[1] / "config.yaml")
        cells = plan(config)
    except ConfigError as err:
        sys.exit(f"{err}")
    print(f"{path}: {len(cells)} cells in {len(training_jobs(cells))} training jobs")


if __name__ == "__main__":
    main(*sys.argv[1:])
