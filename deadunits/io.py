"""Writing results so that a crash never leaves a half-written file that looks complete, and
stamping every row with where it came from (config entry, code version, machine)."""

import os
import platform
import shutil
import socket
import subprocess
from functools import cache
from pathlib import Path

import pandas as pd
import torch


def atomic_write(path, write) -> None:
    """Call ``write(tmp_path)``, then rename over ``path``: readers see the old file or the whole
    new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_parquet(df: pd.DataFrame, path) -> None:
    atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False))


def keep_copies(folder, kept) -> None:
    """Hard-link (else copy) every file in ``folder`` into ``kept``, replacing what was there: the
    tables as they are before a run, which Snakemake would delete if a job that rebuilds them
    failed."""
    kept = Path(kept)
    shutil.rmtree(kept, ignore_errors=True)
    kept.mkdir(parents=True)
    for path in Path(folder).glob("*") if Path(folder).is_dir() else []:
        if path.is_file():
            try:
                os.link(path, kept / path.name)
            except OSError:
                shutil.copy2(path, kept / path.name)


def restore_missing(kept, folder) -> list:
    """Put back into ``folder`` each file of ``kept`` that a failed job left missing; their
    names."""
    restored = []
    Path(folder).mkdir(parents=True, exist_ok=True)  # Snakemake may remove an emptied folder
    for path in sorted(Path(kept).glob("*")):
        if not (Path(folder) / path.name).exists():
            shutil.copy2(path, Path(folder) / path.name)
            restored.append(path.name)
    return restored


def repair_command(path) -> str:
    """The command that rebuilds a results file: its training job's, or the aggregate's."""
    parts = Path(path).parts
    if "train" in parts and parts.index("train") + 1 < len(parts) - 2:
        job = Path(*parts[parts.index("train") - 1 : -2])  # results/train/<job>/<cell>/<file>
        return f"snakemake --forcerun {job}"
    return "snakemake --forcerun aggregate"


def read_parquet(path) -> pd.DataFrame:
    """Read a results table; a truncated or foreign file gets an error that names it and the fix."""
    try:
        return pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types for a damaged file
        raise ValueError(
            f"{path}: not a readable results table ({err}); rebuild it with "
            f"`rm {path} && {repair_command(path)}`"
        ) from None


def check_columns(tables: dict, columns) -> None:
    """Every table (by path) has ``columns``: a cell trained by an older version of the code
    lacks the newer cell keys, and pandas would fill them with NaN without a word."""
    for path, table in tables.items():
        missing = [c for c in columns if c not in table]
        if missing:
            raise ValueError(
                f"{path}: lacks the columns {missing} (written by an older version of "
                f"deadunits?); rebuild it with `rm {path} && {repair_command(path)}`"
            )


def check_readable(paths) -> None:
    """Fail before any job runs when an existing results table is damaged (Snakemake would take
    it as done)."""
    import pyarrow.parquet as pq

    for path in map(Path, paths):
        if path.exists():
            try:
                pq.read_metadata(path)
            except Exception as err:  # noqa: BLE001 - pyarrow raises several types for a damaged file
                raise ValueError(
                    f"{path}: damaged results file ({err}); rebuild it with "
                    f"`rm {path} && {repair_command(path)}`"
                ) from None


@cache
def code_version() -> str:
    """The git commit of the checkout (with -dirty when it has local changes), else the package
    version."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    from importlib.metadata import version

    return f"deadunits-{version('deadunits')}"


@cache
def machine() -> str:
    """Host, architecture, cores, CPU model and the vector kernels torch uses on it (AVX2,
    AVX512): hosts of one name differ in these, and speed figures with them."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    cpu = next(
        (line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
        platform.processor(),
    )
    return (
        f"{socket.gethostname()} {platform.machine()} {os.cpu_count()}cpu {cpu} "
        f"{torch.backends.cpu.get_cpu_capability()}"
    )


def provenance(device) -> dict:
    """What made a result: code version, machine, library versions, device (with the GPU's name)."""
    device = torch.device(device)
    name = f" {torch.cuda.get_device_name(device)}" if device.type == "cuda" else ""
    return dict(
        code_version=code_version(),
        machine=machine(),
        torch_version=torch.__version__,
        device=f"{device}{name}",
    )
