import os


rule figures:
    conda:
        "../envs/deadunits.yaml"
    input:
        runs=rules.aggregate.output.runs,
        curves=rules.aggregate.output.curves,
        layers=rules.aggregate.output.layers,
        **optional_tables(),
    output:
        # each caption is its figure function's docstring, written next to the figure by the rule itself
        png=[
            report(f"results/figures/{name}.png", caption=os.path.abspath(f"results/figures/{name}.rst"), category="Figures")
            for name in config.get("figures", {})
        ],
        svg=[f"results/figures/{name}.svg" for name in config.get("figures", {})],
        captions=[f"results/figures/{name}.rst" for name in config.get("figures", {})],
    params:
        figures=digest(config.get("figures", {})),  # what it draws
        activations=digest(config["activations"]),
        claims=digest(config.get("claims", {})),  # a caption cites a source its claims read
    log:
        "results/logs/figures.log",
    benchmark:
        "results/benchmarks/figures.tsv"
    script:
        "../../scripts/figures.py"
