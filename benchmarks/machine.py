"""What machine a benchmark ran on, for BENCHMARKS.md: CPU model, cores, RAM, OS, Python and package versions."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def machine(modules: tuple[str, ...] = ()) -> dict[str, str]:
    """``cpu, cores, ram, python, os`` and the ``__version__`` of each of ``modules`` ("not installed" if absent)."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        kb = int(next(ln for ln in Path("/proc/meminfo").read_text().splitlines()
                      if ln.startswith("MemTotal")).split()[1])
        ram = f"{kb / 1024**2:.1f} GiB"
    except (OSError, StopIteration):
        pass
    versions = {}
    for mod in modules:
        try:
            versions[mod] = __import__(mod).__version__
        except ImportError:
            versions[mod] = "not installed"
    return {"cpu": cpu, "cores": str(os.cpu_count()), "ram": ram, "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()}", **versions}
