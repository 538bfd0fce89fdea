rule aggregate:
    conda:
        "../envs/deadunits.yaml"
    input:
        job_dirs(),
    output:
        runs="results/tables/runs.parquet",
        curves="results/tables/curves.parquet",
        layers="results/tables/layers.parquet",
        summary=report("results/tables/summary.csv", caption="../report/summary.rst", category="Tables"),
    params:
        runs=cell_files("runs.parquet"),
        curves=cell_files("curves.parquet"),
        layers=cell_files("layers.parquet"),
    log:
        "results/logs/aggregate.log",
    benchmark:
        "results/benchmarks/aggregate.tsv"
    script:
        "../../scripts/aggregate.py"
