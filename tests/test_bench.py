"""The benchmark script runs end to end at a tiny size and prints its figures in the documented
format."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.slow  # whole DAGs or benchmark runs: minutes

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_smoke_prints_its_last_line():
    out = (
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "bench_trainer.py"),
                "--models",
                "2",
                "--epochs",
                "1",
                "--plain-models",
                "1",
                "--repeats",
                "1",
                "--scaling",
                "2",
                "--scaling-epochs",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        .stdout.strip()
        .splitlines()
    )
    number = r"\d+(\.\d+)?"
    assert re.fullmatch(
        rf"one process, \d+ threads: vs_plain={number} vs_plain_probed={number} "
        rf"vs_vmap={number} of_floor={number} probe_overhead={number}",
        out[-2],
    ), out[-2]
    layout = r"\d+x\d+"
    assert re.fullmatch(
        rf"whole machine, \d+ cores \(plain {layout}, plain\+probes {layout}, "
        rf"vmap\+probes {layout}, stacked {layout}\): vs_plain_probed={number} vs_vmap={number}",
        out[-1],
    ), out[-1]
    assert any(re.match(r" +stacked: 1 processes x \d+ threads: .* models/s", line) for line in out)
    assert any(re.match(r"stack of +2: .* models/s .* MB/model", line) for line in out), out
    made_by = out[0]  # the figures trace to the code, the CPU and the kernels torch picked on it
    kernels = torch.backends.cpu.get_cpu_capability()
    assert re.match(rf"code_version=\S+; machine=.+ {kernels}; torch_version=", made_by), made_by


def test_compile_benchmark_smoke_prints_its_last_line():
    out = (
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "bench_compile.py"), "--steps", "2"],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        .stdout.strip()
        .splitlines()
    )
    number = r"(\d+(\.\d+)?|inf)"
    assert re.fullmatch(
        rf"compile_s=-?{number} eager_ms={number} compiled_ms={number} break_even_steps={number} "
        rf"steps_per_job=\d+",
        out[-1],
    ), out[-1]
