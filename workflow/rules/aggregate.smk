rule aggregate:
    input:
        runs=train_outputs("runs.parquet"),
        curves=train_outputs("curves.parquet"),
        layers=train_outputs("layers.parquet"),
    output:
        runs="results/tables/runs.parquet",
        curves="results/tables/curves.parquet",
        layers="results/tables/layers.parquet",
        summary=report("results/tables/summary.csv", caption="../report/summary.rst", category="Tables"),
    log:
        "results/logs/aggregate.log",
    benchmark:
        "results/benchmarks/aggregate.tsv"
    script:
        "../../scripts/aggregate.py"
