# Experiments that train, edit the units and train on (deadunits/followups.py); each runs only when
# its section is in the config, and reruns when that section (or a registry entry it names) changes.


if "revival" in config:

    rule revival:
        conda:
            "../envs/deadunits.yaml"
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
        conda:
            "../envs/deadunits.yaml"
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
