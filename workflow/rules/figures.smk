rule figures:
    input:
        runs=rules.aggregate.output.runs,
        curves=rules.aggregate.output.curves,
        layers=rules.aggregate.output.layers,
        **rules.simulate.output,
        **rules.activation_cost.output,
    output:
        png=[
            report(f"results/figures/{name}.png", caption=f"../report/{figure_fn(name, opts)}.rst", category="Figures")
            for name, opts in config.get("figures", {}).items()
        ],
        svg=[f"results/figures/{name}.svg" for name in config.get("figures", {})],
    log:
        "results/logs/figures.log",
    benchmark:
        "results/benchmarks/figures.tsv"
    script:
        "../../scripts/figures.py"
