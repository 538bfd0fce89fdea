# deadunits: train grids of MLPs, tabulate which units die, draw the figures, render the report.
# Run `snakemake` (the default profile in workflow/profiles/default uses every core) for the default
# study, config.yaml; `--configfile my.yaml` runs the study in my.yaml alone (README, "Your own study").
from snakemake.utils import min_version

min_version("9.0")


include: "workflow/rules/common.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/followups.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        rules.report.output.html,


onstart:
    keep_copies("results/tables", "results/.kept/tables")


onerror:
    if restored := restore_missing("results/.kept/tables", "results/tables"):
        print(
            f"deadunits: a failed job had removed {', '.join(restored)}; they are back as they were "
            "before this run. Fix the cause (the job's log above), then run snakemake again."
        )


onsuccess:
    if Path(rules.report.output.html).exists():
        print(f"deadunits: the report is {Path(rules.report.output.html).resolve()}")
