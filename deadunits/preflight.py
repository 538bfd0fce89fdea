"""Everything checked before any job runs: the config's grid (``study.plan_cells``) and its output
sections, whose names (figures, claims, the follow-up experiments) must exist. The output layer's
registries are read here, so that study.py, from config to cells, does not depend on them."""

from deadunits.claims import CLAIMS
from deadunits.figures import FIGURES, figure_fn
from deadunits.study import ConfigError, _check, _names, plan_cells


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
    check_followups(config)
    dataset = config["simulate"]["born_dead"]["dataset"]
    if dataset not in config["datasets"]:
        raise ConfigError(
            f"simulate.born_dead.dataset: unknown dataset {dataset!r}; "
            f"pick one of {sorted(config['datasets'])}"
        )


def check_followups(config: dict) -> None:
    """The revival and dead_cost sections name a dataset, an init and activations that exist, and
    a figure or claim that reads one has it."""
    readers = {"revival": ("revival", "S-leak-revives"), "dead_cost": ("dead_cost", "S-dead-cost")}
    for section, names in readers.items():
        spec = config.get(section)
        wanted = [n for kind in ("figures", "claims") for n in config.get(kind, {}) if n in names]
        if spec is None and wanted:
            raise ConfigError(
                f"{wanted[0]} reads the {section}: section, which this config lacks; add it "
                f"(see config.yaml) or drop {wanted[0]}"
            )
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
                in _names(exp, section, config["experiments"][exp][section], config[section])
            ]
            if experiments and not used:
                raise ConfigError(
                    f"claims.{name} needs {section} entry {label!r}, which none of its experiments "
                    f"({', '.join(experiments)}) trains; add it to one of them, "
                    f"or drop {name} from claims:"
                )
