# Experiments that train, edit the units and train on (deadunits/followups.py); each runs only when
# a claim or figure reads its table, and reruns when its section (or an entry it names) changes.


if "revival" in config:

    rule revival:
        conda:
            "../envs/deadunits.yaml"
        input:
            data=f"results/datasets/{config['revival']['dataset']}.pt",
        output:
            revival=OPTIONAL_TABLES["revival"],
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
            dead_cost=OPTIONAL_TABLES["dead_cost"],
        params:
            **followup_params("dead_cost"),
        log:
            "results/logs/dead_cost.log",
        threads: config.get("threads", 1)
        script:
            "../../scripts/followups.py"
