"""Rule aggregate: every cell's tables -> results/tables/{runs,curves,layers}.parquet and summary.csv."""
import sys

import pandas as pd

from deadunits.io import atomic_write, read_parquet, write_parquet
from deadunits.stats import summarise

KEYS = ["experiment", "dataset", "activation", "init", "depth", "width", "optimizer", "lr", "seed"]
SUMMARY_METRICS = ["dead_init", "dead_final", "dead_final_full", "frozen_init", "frozen_final", "dormant_final", "sparsity_final",
                   "died_final", "revived_final", "born_dead", "collapsed", "diverged", "steps_to_target",
                   "epochs_to_target", "loss_auc", "final_train_loss", "final_train_acc", "final_test_loss",
                   "final_test_acc"]

sys.stderr = open(snakemake.log[0], "w")  # tracebacks go to the job's log
runs = pd.concat([read_parquet(p) for p in snakemake.input.runs], ignore_index=True)
keys = runs[["run_id"] + KEYS + ["diverged"]]
for name in ("curves", "layers"):
    table = pd.concat([read_parquet(p) for p in getattr(snakemake.input, name)], ignore_index=True)
    write_parquet(keys.merge(table.drop(columns="model"), on="run_id", validate="one_to_many"), getattr(snakemake.output, name))
write_parquet(runs.drop(columns="model"), snakemake.output.runs)

summary = summarise(runs[~runs.failed].astype({m: float for m in SUMMARY_METRICS}), KEYS[:-1], SUMMARY_METRICS)
atomic_write(snakemake.output.summary, lambda tmp: summary.to_csv(tmp, index=False, float_format="%.6g"))
