rule findings:
    conda:
        "../envs/deadunits.yaml"
    input:
        runs=rules.aggregate.output.runs,
        layers=rules.aggregate.output.layers,
        claims=rules.claims.output.claims,
        claims_status=rules.claims.output.status,
        **optional_tables(),
        captions=rules.figures.output.captions,
        benchmarks=expand("results/benchmarks/train/{job}.tsv", job=JOBS),
        jobs=job_dirs(),
    output:
        findings="results/tables/findings.csv",
    params:
        figures=digest(config.get("figures", {})),  # what its sentences read
        claims=digest(config.get("claims", {})),
        defaults=digest(config.get("defaults", {})),
        timings=[f"{job}/timing.json" for job in job_dirs()],
    log:
        "results/logs/findings.log",
    script:
        "../../scripts/findings.py"


rule report:
    conda:
        "../envs/deadunits.yaml"
    input:
        notebook=workflow.source_path("../../report/report.py"),
        findings=rules.findings.output.findings,
        figures=rules.figures.output.png,
    output:
        notebook="results/report/report.ipynb",
        html="report/report.html",
    params:
        config=digest(config),  # the report prints the whole config
    log:
        "results/logs/report.log",
    script:
        "../../scripts/report.py"
