rule dataset:
    conda:
        "../envs/deadunits.yaml"
    output:
        "results/datasets/{dataset}.pt",
    params:
        spec=lambda wildcards: canonical(config["datasets"][wildcards.dataset]),
    log:
        "results/logs/dataset/{dataset}.log",
    script:
        "../../scripts/dataset.py"


rule train:
    conda:
        "../envs/deadunits.yaml"
    input:
        data=lambda wildcards: f"results/datasets/{next(iter(JOBS[wildcards.job].values()))['key']['dataset']}.pt",
    output:
        directory("results/train/{job}"),
    params:
        cells=lambda wildcards: digest(JOBS[wildcards.job]),  # the script plans its cells again
    log:
        "results/logs/train/{job}.log",
    benchmark:
        "results/benchmarks/train/{job}.tsv"
    threads: config.get("threads", 1)
    resources:
        mem_mb=lambda wildcards: train_resources(wildcards)["mem_mb"],
        runtime=lambda wildcards: train_resources(wildcards)["runtime"],
    script:
        "../../scripts/train.py"
