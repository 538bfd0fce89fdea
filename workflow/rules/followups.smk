# Experiments that train, edit the units and train on (deadunits/followups.py); each runs only when
# its section is in the config, and reruns when that section (or a registry entry it names) changes.


def followup_params(section):
    spec = config[section]
    names = spec.get("activations", ["relu"])
    return dict(spec=canonical(spec), activations={n: canonical(config["activations"][n]) for n in names},
                init=canonical(init_for(config, spec["init"], None)), settings=canonical(config.get("defaults", {})))


if "revival" in config:

    rule revival:
        input:
            data=f"results/datasets/{config['revival']['dataset']}.pt",
        output:
            revival="results/tables/revival.csv",
        params:
            **followup_params("revival"),
        log:
            "results/logs/revival.log",
        threads: config.get("threads", 1)
        script:
            "../../scripts/followups.py"


if "dead_cost" in config:

    rule dead_cost:
        input:
            data=f"results/datasets/{config['dead_cost']['dataset']}.pt",
        output:
            dead_cost="results/tables/dead_cost.csv",
        params:
            **followup_params("dead_cost"),
        log:
            "results/logs/dead_cost.log",
        threads: config.get("threads", 1)
        script:
            "../../scripts/followups.py"


def followup_tables():
    """The follow-up tables of this config, by name, for the rules that read them."""
    return {name: f"results/tables/{name}.csv" for name in ("revival", "dead_cost") if name in config}
