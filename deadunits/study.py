"""From config.yaml to training jobs: expand experiments into cells, check names before any work.

A cell is one stack: an experiment's (dataset, activation, init, optimizer, hidden widths) and a
block of seeds, with every learning rate of that optimizer trained alongside. A training job is
every cell that differs only in its hidden widths, trained one after another in one process (a
process start is slow, mostly from importing torch). Ids are paths under results/train/: the job's,
then the cell's widths, so adding an activation, init, dataset, optimizer or seed block adds jobs
and leaves every existing one (and its files) alone; adding a depth or width retrains its
experiment's jobs.
"""

import copy
import hashlib
import itertools
import json
import re
from pathlib import Path

import yaml

from deadunits.activations import check_activation
from deadunits.datasets import check_dataset
from deadunits.inits import build_init
from deadunits.interventions import options_of
from deadunits.norms import NORMS
from deadunits.settings import TrainSettings


class ConfigError(ValueError):
    """A config value that names something unknown or impossible; the message names value and
    fix."""


def resolve_config(given: dict, default: Path) -> dict:
    """The study a run means, from what the command line gave (``--configfile``, ``--config``):

    * nothing, or only overrides without ``experiments`` (``--config threads=4``): the default study
      (``default``, config.yaml) with those overrides on top;
    * a config with ``extends: <file>`` (relative to the repository root): an overlay, merged key by
      key onto that file (dicts merge, lists and values replace);
    * any other config with ``experiments``: a study of its own, with nothing from config.yaml.
    """
    given = yaml12_numbers(copy.deepcopy(dict(given)))
    extends = given.pop("extends", None)
    if extends is None and "experiments" in given:
        return given
    base_file = Path(default).parent / extends if extends else Path(default)
    if not base_file.is_file():
        raise ConfigError(
            f"extends: {extends!r}: no file {base_file}; expected the path of a config YAML "
            f"relative to the repository root, e.g. extends: config.yaml"
        )
    return merged(yaml12_numbers(load_yaml(base_file)), given)


def load_yaml(path) -> dict:
    """A config file; a syntax error names the file, line and column."""
    try:
        return yaml.safe_load(Path(path).read_text())
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        raise ConfigError(
            f"{path}:{mark.line + 1}:{mark.column + 1}: not valid YAML: {err.problem}"
        ) from None


# YAML 1.1 (PyYAML, Snakemake) reads 1e-3 as a string: it needs a dot, 1.0e-3; YAML 1.2 does not
_EXPONENT_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def yaml12_numbers(value):
    """The config with every value written like ``1e-3`` read as the number it is in YAML 1.2 (keys,
    the names of entries, are left as written)."""
    if isinstance(value, dict):
        return {k: yaml12_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [yaml12_numbers(v) for v in value]
    if isinstance(value, str) and _EXPONENT_FLOAT.fullmatch(value):
        return float(value)
    return value


def merged(base: dict, overlay: dict) -> dict:
    """``base`` with ``overlay`` on top, key by key: dicts merge, lists and values replace."""
    out = dict(base)
    for key, value in overlay.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = merged(out[key], value) if both else value
    return out


def digest(value) -> str:
    """A short fingerprint of a config part, for a rule's rerun trigger: a change reruns the rule,
    and the dry run's reason line stays one line instead of printing the part twice."""
    text = json.dumps(canonical(value), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def canonical(value):
    """Dicts with sorted keys, recursively: reordering keys in config.yaml must not look like a
    change."""
    if isinstance(value, dict):
        return {k: canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def _names(experiment: str, field: str, chosen, registry: dict):
    names = list(registry) if chosen == "all" else list(chosen)
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ConfigError(
            f"experiments.{experiment}.{field}: unknown name {unknown[0]!r}; "
            f"define it under {field}: or pick one of {sorted(registry)}"
        )
    return names


def check_registries(config: dict) -> None:
    """Build every activation and init entry once and check dataset arguments, so typos fail in
    seconds."""
    for name, spec in config["activations"].items():
        _check(f"activations.{name}", lambda: check_activation(spec))
    for name, spec in config["inits"].items():
        for activation in [None, *spec.get("by_activation", {})]:
            _check(f"inits.{name}", lambda: build_init(init_for(config, name, activation)))
    for name, spec in config["datasets"].items():
        _check(
            f"datasets.{name}", lambda: check_dataset(spec, files=False)
        )  # files: only for datasets in use


def _check(where, build):
    try:
        build()
    except (KeyError, TypeError, ValueError, FileNotFoundError) as err:
        raise ConfigError(f"{where}: {err.args[0] if err.args else err}") from None


def init_for(config: dict, init: str, activation: str | None) -> dict:
    """The init entry a cell uses. An entry
    ``{fn: per_activation, by_activation: {selu: lecun, ...}, otherwise: he}`` names another entry
    per activation: one experiment runs each activation with its own standard init."""
    spec = config["inits"][init]
    if spec.get("fn") != "per_activation":
        return spec
    chosen = spec.get("by_activation", {}).get(activation, spec.get("otherwise"))
    if chosen not in config["inits"] or config["inits"][chosen].get("fn") == "per_activation":
        plain = sorted(k for k, v in config["inits"].items() if v.get("fn") != "per_activation")
        raise ValueError(
            f"{chosen!r} (for activation {activation!r}) is not a plain init entry; "
            f"name one of {plain}"
        )
    return config["inits"][chosen]


def settings_for(config: dict, experiment: dict) -> dict:
    merged = {**config.get("defaults", {}), **experiment.get("settings", {})}
    if TrainSettings(**merged).intervention:  # raises on impossible values
        options_of(merged["intervention"])
    return merged


def plan_cells(config: dict) -> dict:
    """Every cell of every experiment, by id; raises ConfigError before anything is trained."""
    check_registries(config)
    cells = {}
    for exp_name, exp in config["experiments"].items():
        settings = {}
        _check(
            f"experiments.{exp_name}.settings", lambda: settings.update(settings_for(config, exp))
        )
        datasets = _names(exp_name, "datasets", exp["datasets"], config["datasets"])
        activations = _names(exp_name, "activations", exp["activations"], config["activations"])
        inits = _names(exp_name, "inits", exp["inits"], config["inits"])
        block = exp.get("seed_block", exp["seeds"])
        seed_blocks = [
            (lo, min(lo + block, exp["seeds"]) - 1) for lo in range(0, exp["seeds"], block)
        ]
        grid = itertools.product(
            datasets,
            activations,
            inits,
            architectures(exp_name, exp),
            exp["optimizers"].items(),
            shapes(exp_name, exp),
            seed_blocks,
        )
        for dataset, activation, init, (norm, residual), (optimizer, lrs), widths, (lo, hi) in grid:
            depth, label = len(widths), widths_label(widths)
            key = dict(
                experiment=exp_name,
                dataset=dataset,
                activation=activation,
                init=init,
                optimizer=optimizer,
                depth=depth,
                width=max(widths),
                layer_widths=label,
                norm=norm,
                residual=residual,
                seeds=f"{lo}-{hi}",
            )
            shape = f"w{widths[0]}" if len(set(widths)) == 1 else f"w{label}"
            arch = init + (f"+{norm}" if norm != "none" else "")
            arch += f"+res{residual}" if residual != "plain" else ""
            cell_id = (
                f"{exp_name}/{dataset}/{activation}/{arch}/{optimizer}/s{lo}-{hi}/d{depth}-{shape}"
            )
            cells[cell_id] = canonical(
                dict(
                    key=key,
                    widths=widths,
                    lrs=list(lrs),
                    seeds=list(range(lo, hi + 1)),
                    dataset_spec=config["datasets"][dataset],
                    activation_spec=config["activations"][activation],
                    init_spec=init_for(config, init, activation),
                    settings={**settings, "optimizer": optimizer},
                )
            )
    for name in sorted({cell["key"]["dataset"] for cell in cells.values()}):
        _check(
            f"datasets.{name}", lambda: check_dataset(config["datasets"][name])
        )  # its files are there
    if not cells:
        raise ConfigError("the config plans no training job: every experiment's grid is empty")
    return cells


def architectures(exp_name: str, exp: dict) -> list:
    """(norm, residual) pairs of an experiment: ``norms`` (names in deadunits/norms.py, or none)
    and ``residual`` (plain, or a branch scale alpha), each a list; by default a plain net."""
    norms, residuals = exp.get("norms", ["none"]), exp.get("residual", ["plain"])
    for norm in norms:
        if norm != "none":
            _check(f"experiments.{exp_name}.norms", lambda: NORMS.get(norm))
    return [(n, r if r == "plain" else f"{float(r):g}") for n in norms for r in residuals]


def training_jobs(cells: dict) -> dict:
    """{job id: {cell id: cell}}: a job is the cells whose ids differ only in the last part (the
    hidden widths)."""
    jobs = {}
    for cell_id, cell in cells.items():
        jobs.setdefault(cell_id.rsplit("/", 1)[0], {})[cell_id] = cell
    return jobs


def widths_label(widths) -> str:
    """Hidden widths in short, as runs of equal layers: [512, 256, 256, 128] -> '512-256x2-128',
    [64] * 32 -> '64x32'."""
    runs = [(w, len(list(group))) for w, group in itertools.groupby(widths)]
    return "-".join(f"{w}x{n}" if n > 1 else f"{w}" for w, n in runs)


def shapes(name: str, experiment: dict) -> list:
    """The hidden widths of each net an experiment trains: every depth with every number under
    ``widths``, and each per-layer list under ``widths`` (e.g. [512, 256, 256, 128]) with the depth
    equal to its length."""
    uniform = [w for w in experiment["widths"] if isinstance(w, int)]
    per_layer = [list(w) for w in experiment["widths"] if not isinstance(w, int)]
    for widths in per_layer:
        if len(widths) not in experiment["depths"]:
            raise ConfigError(
                f"experiments.{name}.widths: {widths} gives {len(widths)} hidden layers, "
                f"but depths are {experiment['depths']}; add {len(widths)} to depths "
                "or give one width per layer"
            )
    return [[w] * depth for depth in experiment["depths"] for w in uniform] + per_layer


def cell_cost(cell: dict, in_dim: int = 784, n_train: int = 4000) -> float:
    """Rough training FLOPs of a cell (6 x params x examples), for per-job cluster resources."""
    dims = [in_dim] + cell["widths"] + [10]
    params = sum(a * b for a, b in zip(dims, dims[1:]))
    models = len(cell["lrs"]) * len(cell["seeds"])
    return 6.0 * params * n_train * cell["settings"].get("epochs", 10) * models
