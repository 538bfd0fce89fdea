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
from deadunits.settings import OPTIMIZER_OPTIONS, TrainSettings


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


def _names(where: str, field: str, chosen, registry: dict):
    """The names an experiment's ``field`` picks from ``registry`` (``where``: the experiment in
    the config, e.g. ``experiments.grid``)."""
    names = list(registry) if chosen == "all" else list(chosen)
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ConfigError(
            f"{where}.{field}: unknown name {unknown[0]!r}; "
            f"define it under {field}: or pick one of {sorted(registry)}"
        )
    return names


def check_registries(config: dict) -> None:
    """Build every activation, init, optimizer and intervention entry once and check dataset
    arguments, so typos fail in seconds."""
    for name, spec in config["activations"].items():
        _check(f"activations.{name}", lambda: check_activation(spec))
    for name, spec in config["inits"].items():
        for activation in [None, *spec.get("by_activation", {})]:
            _check(f"inits.{name}", lambda: build_init(init_for(config, name, activation)))
    for name in config.get("optimizers", {}):
        optimizer_for(config, name)
    for name in config.get("interventions", {}):
        intervention_for(config, name)
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
    """An experiment's training settings: ``defaults`` with its ``settings`` on top."""
    merged = {**config.get("defaults", {}), **experiment.get("settings", {})}
    TrainSettings(**merged)  # raises on impossible values
    return merged


def optimizer_for(config: dict, name: str) -> dict:
    """The settings an ``optimizers:`` entry sets: ``{optimizer: fn, **its hyper-parameters}``. A
    function name (sgd, adam, adamw) needs no entry: it stands for itself with the defaults."""
    spec = config.get("optimizers", {}).get(name)
    if spec is None and name in OPTIMIZER_OPTIONS:
        spec = {"fn": name}
    if spec is None:
        known = sorted({*config.get("optimizers", {}), *OPTIMIZER_OPTIONS})
        raise ConfigError(
            f"unknown optimizer {name!r}; define it under optimizers: or pick one of {known}"
        )
    options = {k: v for k, v in spec.items() if k != "fn"}
    wrong = [k for k in options if k not in OPTIMIZER_OPTIONS.get(spec["fn"], ())]
    if spec["fn"] not in OPTIMIZER_OPTIONS or wrong:
        raise ConfigError(
            f"optimizers.{name}: fn {spec['fn']!r} with options {wrong or list(options)}; "
            f"expected fn and options from {dict(OPTIMIZER_OPTIONS)}"
        )
    return {"optimizer": spec["fn"], **options}


def intervention_for(config: dict, name: str) -> dict:
    """The settings an ``interventions:`` entry sets (``none``: no intervention), its options
    checked against its function."""
    if name == "none":
        return {"intervention": None}
    spec = config.get("interventions", {}).get(name)
    if spec is None:
        known = ["none", *sorted(config.get("interventions", {}))]
        raise ConfigError(
            f"unknown intervention {name!r}; define it under interventions: or pick one of {known}"
        )
    _check(f"interventions.{name}", lambda: TrainSettings(intervention=spec))
    _check(f"interventions.{name}", lambda: options_of(spec))
    return {"intervention": spec}


def grids(exp_name: str, exp: dict) -> dict:
    """{variant: (where, grid, pairs)}: the experiment's own grid (variant ``none``) and, per entry
    under ``variants``, the same grid with that entry's axes in place of its own, so that each fix
    runs alone against the plain net instead of crossed with every other fix. ``pairs`` maps each
    optimizer of a grid to the plain grid's it is compared with: a variant's ``optimizers`` pair
    with the experiment's in order and train the same learning rates."""
    out = {"none": (f"experiments.{exp_name}", exp, {o: o for o in exp["optimizers"]})}
    for name, axes in exp.get("variants", {}).items():
        where = f"experiments.{exp_name}.variants.{name}"
        if name == "none":
            raise ConfigError(f"{where}: 'none' names the experiment's own grid; rename it")
        own = axes.get("optimizers", exp["optimizers"])
        if [list(lrs) for lrs in own.values()] != [list(lrs) for lrs in exp["optimizers"].values()]:
            raise ConfigError(
                f"{where}.optimizers: {dict(own)}; expected one optimizer per optimizer of the "
                f"experiment, in its order and with its learning rates: {exp['optimizers']}"
            )
        pairs = dict(zip(own, exp["optimizers"]))
        out[name] = (where, {**exp, **axes}, pairs)
    return out


def check_single(where: str, axes: dict) -> None:
    """An experiment with variants compares each fix with one plain net per depth and optimizer:
    every other axis (``axes``: its entries as planned) has one entry."""
    for field, entries in axes.items():
        if len(entries) != 1:
            raise ConfigError(
                f"{where}.{field}: {entries}; an experiment with variants compares each fix "
                "with one plain net, so each axis but depths and optimizers has one entry (a "
                "second one is a variant)"
            )


def plan_cells(config: dict) -> dict:
    """Every cell of every experiment, by id; raises ConfigError before anything is trained."""
    check_registries(config)
    cells = {}
    for exp_name, experiment in config["experiments"].items():
        single = "variants" in experiment
        for variant, (where, exp, pairs) in grids(exp_name, experiment).items():
            for cell_id, cell in grid_cells(config, where, exp, variant, pairs, single).items():
                if cell_id in cells:
                    raise ConfigError(
                        f"{where}: trains cell {cell_id}, which variant "
                        f"{cells[cell_id]['key']['variant']!r} trains already; a variant must "
                        "change an axis of the grid (learning rates are not one: name another "
                        "optimizer entry)"
                    )
                cells[cell_id] = cell
    for name in sorted({cell["key"]["dataset"] for cell in cells.values()}):
        _check(
            f"datasets.{name}", lambda: check_dataset(config["datasets"][name])
        )  # its files are there
    if not cells:
        raise ConfigError("the config plans no training job: every experiment's grid is empty")
    return cells


def grid_cells(config, where, exp, variant, pairs, single=False) -> dict:
    """The cells of one grid of an experiment (``where`` in the config), by id; ``single``: each
    axis but depths and optimizers must have one entry (``check_single``)."""
    settings, exp_name = {}, where.split(".")[1]
    _check(f"{where}.settings", lambda: settings.update(settings_for(config, exp)))
    axes = dict(
        dataset=_names(where, "datasets", exp["datasets"], config["datasets"]),
        activation=_names(where, "activations", exp["activations"], config["activations"]),
        init=_names(where, "inits", exp["inits"], config["inits"]),
        arch=architectures(where, exp),
        intervention={
            name: _in(where, "interventions", lambda: intervention_for(config, name))
            for name in exp.get("interventions", ["none"])
        },
        optimizer={
            name: _in(where, "optimizers", lambda: optimizer_for(config, name))
            for name in exp["optimizers"]
        },
        widths=shapes(where, exp),
        seeds=seed_blocks(exp),
    )
    if single:
        check_single(
            where,
            dict(
                datasets=axes["dataset"],
                activations=axes["activation"],
                inits=axes["init"],
                norms=exp.get("norms", ["none"]),
                residual=exp.get("residual", ["plain"]),
                interventions=list(axes["intervention"]),
                widths=exp["widths"],
            ),
        )
    cells = {}
    for point in itertools.product(*axes.values()):
        c = dict(zip(axes, point))
        (norm, residual), widths, (lo, hi) = c["arch"], c["widths"], c["seeds"]
        depth, label = len(widths), widths_label(widths)
        key = dict(
            experiment=exp_name,
            variant=variant,
            dataset=c["dataset"],
            activation=c["activation"],
            init=c["init"],
            optimizer=c["optimizer"],
            plain_optimizer=pairs[c["optimizer"]],
            depth=depth,
            width=max(widths),
            layer_widths=label,
            norm=norm,
            residual=residual,
            intervention=c["intervention"],
            seeds=f"{lo}-{hi}",
        )
        cells[cell_id(key, widths)] = canonical(
            dict(
                key=key,
                widths=widths,
                lrs=list(exp["optimizers"][c["optimizer"]]),
                seeds=list(range(lo, hi + 1)),
                dataset_spec=config["datasets"][c["dataset"]],
                activation_spec=config["activations"][c["activation"]],
                init_spec=init_for(config, c["init"], c["activation"]),
                settings=trainable(
                    where,
                    {
                        **settings,
                        **axes["optimizer"][c["optimizer"]],
                        **axes["intervention"][c["intervention"]],
                    },
                ),
            )
        )
    return cells


def trainable(where: str, settings: dict) -> dict:
    """The settings a cell trains with, checked as a whole (an optimizer entry's values on top of
    the experiment's)."""
    _check(f"{where}.settings", lambda: TrainSettings(**settings))
    return settings


def cell_id(key: dict, widths: list) -> str:
    """A cell's path under results/train/: experiment, dataset, activation, the architecture (init,
    then a norm, residual scale and intervention where there is one), optimizer, seeds, shape."""
    arch = key["init"] + (f"+{key['norm']}" if key["norm"] != "none" else "")
    arch += f"+res{key['residual']}" if key["residual"] != "plain" else ""
    arch += f"+{key['intervention']}" if key["intervention"] != "none" else ""
    shape = f"w{widths[0]}" if len(set(widths)) == 1 else f"w{key['layer_widths']}"
    return (
        f"{key['experiment']}/{key['dataset']}/{key['activation']}/{arch}/{key['optimizer']}/"
        f"s{key['seeds']}/d{key['depth']}-{shape}"
    )


def seed_blocks(exp: dict) -> list:
    """(first, last) seed of each block of ``seed_block`` seeds (one stack each)."""
    block = exp.get("seed_block", exp["seeds"])
    return [(lo, min(lo + block, exp["seeds"]) - 1) for lo in range(0, exp["seeds"], block)]


def _in(where: str, field: str, resolve):
    """``resolve()``, its ConfigError prefixed with where the name was used."""
    try:
        return resolve()
    except ConfigError as err:
        raise ConfigError(f"{where}.{field}: {err}") from None


def architectures(where: str, exp: dict) -> list:
    """(norm, residual) pairs of an experiment (``where``): ``norms`` (names in
    deadunits/norms.py, or none) and ``residual`` (plain, or a branch scale alpha), each a list;
    by default a plain net."""
    norms, residuals = exp.get("norms", ["none"]), exp.get("residual", ["plain"])
    for norm in norms:
        if norm != "none":
            _check(f"{where}.norms", lambda: NORMS.get(norm))
    return [(n, r if r == "plain" else f"{float(r):g}") for n in norms for r in residuals]


def variant_cells(config: dict, cells: dict) -> dict:
    """The cells of experiments with ``variants``: those whose step cost the fixes table shows."""
    experiments = config["experiments"]
    return {i: c for i, c in cells.items() if experiments[c["key"]["experiment"]].get("variants")}


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


def shapes(where: str, experiment: dict) -> list:
    """The hidden widths of each net an experiment trains: every depth with every number under
    ``widths``, and each per-layer list under ``widths`` (e.g. [512, 256, 256, 128]) with the depth
    equal to its length."""
    uniform = [w for w in experiment["widths"] if isinstance(w, int)]
    per_layer = [list(w) for w in experiment["widths"] if not isinstance(w, int)]
    for widths in per_layer:
        if len(widths) not in experiment["depths"]:
            raise ConfigError(
                f"{where}.widths: {widths} gives {len(widths)} hidden layers, "
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
