rule report:
    input:
        notebook=workflow.source_path("../../report/report.ipynb"),
        runs=rules.aggregate.output.runs,
        curves=rules.aggregate.output.curves,
        layers=rules.aggregate.output.layers,
        summary=rules.aggregate.output.summary,
        claims=rules.claims.output.claims,
        born_dead=rules.simulate.output.born_dead,
        lengths=rules.simulate.output.lengths,
        cost=rules.activation_cost.output.cost,
        figures=rules.figures.output.png,
        benchmarks=expand("results/benchmarks/train/{cell}.tsv", cell=CELLS),
        timings=train_outputs("timing.json"),
    params:
        captions=f"{workflow.basedir}/workflow/report",
    output:
        notebook="results/report/report.ipynb",
        html="report/report.html",
    log:
        "results/logs/report.log",
    script:
        "../../scripts/report.py"
