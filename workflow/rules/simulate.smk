# Measurements of nets at init and of what activations and fixes cost to run; each runs only
# when a claim or figure of the study reads its table (deadunits/preflight.py).


if "simulate" in config:

    rule simulate:
        conda:
            "../envs/deadunits.yaml"
        input:
            probe=f"results/datasets/{config['simulate']['born_dead']['dataset']}.pt",
        output:
            born_dead=report(OPTIONAL_TABLES["born_dead"], caption="../report/born_dead_table.rst", category="Tables"),
            lengths=OPTIONAL_TABLES["lengths"],
        params:
            spec=digest(config["simulate"]),  # reruns when the section changes
        log:
            "results/logs/simulate.log",
        benchmark:
            "results/benchmarks/simulate.tsv"
        threads: config.get("threads", 1)
        script:
            "../../scripts/simulate.py"


rule activation_cost:
    conda:
        "../envs/deadunits.yaml"
    output:
        cost=OPTIONAL_TABLES["cost"],
    params:
        activations=digest(config["activations"]),  # the activations it times
    log:
        "results/logs/activation_cost.log",
    threads: workflow.cores  # alone on the machine: other jobs would skew the timings
    script:
        "../../scripts/activation_cost.py"


rule fix_cost:
    conda:
        "../envs/deadunits.yaml"
    output:
        fix_cost=OPTIONAL_TABLES["fix_cost"],
    params:
        cells=digest(VARIANT_CELLS),  # the stacks it times
    log:
        "results/logs/fix_cost.log",
    threads: workflow.cores  # alone on the machine: other jobs would skew the timings
    script:
        "../../scripts/fix_cost.py"
