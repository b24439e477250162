"""Whole-process measurements, taken the way `/usr/bin/time -v` reports them."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessFigures:
    """Wall time and peak resident set size of one child process."""

    seconds: float
    peak_rss_mib: float


def run_process(command: Sequence[str], *, env: dict[str, str] | None = None) -> ProcessFigures:
    """Run `command` to completion; its own rusage (wait4) gives the peak RSS, as time -v does."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, list(command))
    return ProcessFigures(seconds=elapsed, peak_rss_mib=usage.ru_maxrss / 1024)


def median_of_runs(
    command: Sequence[str], *, runs: int = 5, warmups: int = 1, env: dict[str, str] | None = None
) -> ProcessFigures:
    """Median wall time and median peak RSS over `runs`, after `warmups` discarded runs."""
    for _ in range(warmups):
        run_process(command, env=env)
    figures = [run_process(command, env=env) for _ in range(runs)]
    return ProcessFigures(
        seconds=statistics.median(figure.seconds for figure in figures),
        peak_rss_mib=statistics.median(figure.peak_rss_mib for figure in figures),
    )


def machine_description() -> str:
    """Cores and memory of this machine, to print beside every figure."""
    with open("/proc/meminfo", encoding="ascii") as handle:
        total_kib = int(handle.readline().split()[1])
    return f"{os.cpu_count()} cores, {total_kib / 1024 / 1024:.1f} GiB RAM"
