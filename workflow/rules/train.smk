rule dataset:
    output:
        "results/datasets/{dataset}.pt",
    params:
        spec=lambda wildcards: canonical(config["datasets"][wildcards.dataset]),
    log:
        "results/logs/dataset/{dataset}.log",
    script:
        "../../scripts/dataset.py"


rule train:
    input:
        data=lambda wildcards: f"results/datasets/{CELLS[wildcards.cell]['key']['dataset']}.pt",
    output:
        runs="results/train/{cell}/runs.parquet",
        curves="results/train/{cell}/curves.parquet",
        layers="results/train/{cell}/layers.parquet",
        weights="results/train/{cell}/weights.pt",
        timing="results/train/{cell}/timing.json",
    params:
        cell=lambda wildcards: CELLS[wildcards.cell],
    log:
        "results/logs/train/{cell}.log",
    benchmark:
        "results/benchmarks/train/{cell}.tsv"
    threads: config.get("threads", 1)
    resources:
        mem_mb=lambda wildcards: train_resources(wildcards)["mem_mb"],
        runtime=lambda wildcards: train_resources(wildcards)["runtime"],
    script:
        "../../scripts/train.py"
