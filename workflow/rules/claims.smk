rule simulate:
    input:
        probe=f"results/datasets/{config['simulate']['born_dead']['dataset']}.pt",
    output:
        born_dead=report("results/tables/born_dead.csv", caption="../report/born_dead.rst", category="Tables"),
        lengths="results/tables/init_lengths.csv",
    log:
        "results/logs/simulate.log",
    benchmark:
        "results/benchmarks/simulate.tsv"
    threads: config.get("threads", 1)
    script:
        "../../scripts/simulate.py"


rule activation_cost:
    output:
        cost="results/tables/activation_cost.csv",
    log:
        "results/logs/activation_cost.log",
    threads: workflow.cores  # alone on the machine: other jobs would skew the timings
    script:
        "../../scripts/activation_cost.py"


rule claims:
    input:
        runs=rules.aggregate.output.runs,
        layers=rules.aggregate.output.layers,
        **rules.simulate.output,
        **rules.activation_cost.output,
    output:
        claims=report("results/tables/claims.csv", caption="../report/claims.rst", category="Tables"),
    log:
        "results/logs/claims.log",
    script:
        "../../scripts/claims.py"
