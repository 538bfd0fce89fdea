rule claims:
    conda:
        "../envs/deadunits.yaml"
    input:
        runs=rules.aggregate.output.runs,
        layers=rules.aggregate.output.layers,
        curves=rules.aggregate.output.curves,
        **optional_tables(),
    output:
        claims=report("results/tables/claims.csv", caption="../report/claims.rst", category="Tables"),
        status="results/tables/claims_status.csv",
    params:
        claims=digest(config.get("claims", {})),  # reruns when a claim entry changes
    log:
        "results/logs/claims.log",
    script:
        "../../scripts/claims.py"
