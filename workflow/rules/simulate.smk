rule simulate:
    conda:
        "../envs/deadunits.yaml"
    input:
        probe=f"results/datasets/{config['simulate']['born_dead']['dataset']}.pt",
    output:
        born_dead=report("results/tables/born_dead.csv", caption="../report/born_dead_table.rst", category="Tables"),
        lengths="results/tables/init_lengths.csv",
    params:
        spec=canonical(config["simulate"]),  # reruns when the section changes
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
        cost="results/tables/activation_cost.csv",
    params:
        activations=canonical(config["activations"]),  # the activations it times
    log:
        "results/logs/activation_cost.log",
    threads: workflow.cores  # alone on the machine: other jobs would skew the timings
    script:
        "../../scripts/activation_cost.py"
