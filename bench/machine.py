"""The facts a reader needs to judge the figures: the machine, how busy it was, what software ran."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from kafka.record import util

from infra.maven import pinned_version
from infra.settings import REPO_ROOT

PACKAGES = (
    "kafka-python",
    "faust-streaming",
    "elasticsearch",
    "fastapi",
    "uvicorn",
    "pydantic",
    "httpx",
)


def _meminfo() -> dict[str, int]:
    """Fields of /proc/meminfo in kB."""
    values: dict[str, int] = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            key, _, rest = line.partition(":")
            parts = rest.split()
            if parts and parts[0].isdigit():
                values[key] = int(parts[0])
    except OSError:
        pass
    return values


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip()


def kafka_python_crc32c() -> str:
    """Which CRC32C kafka-python computes record batches with: a C extension or its pure-Python one."""
    return "pure Python" if util.crc32c_c is None else f"C extension ({util.crc32c_c.__module__})"


def load() -> dict[str, Any]:
    """How busy the machine is right now (it is shared, so this changes during a run)."""
    mem = _meminfo()
    one, five, fifteen = os.getloadavg()
    return {
        "load_average_1_5_15": [round(one, 2), round(five, 2), round(fifteen, 2)],
        "memory_available_gib": round(mem.get("MemAvailable", 0) / 1024**2, 2),
    }


def facts() -> dict[str, Any]:
    mem = _meminfo()
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_total_gib": round(mem.get("MemTotal", 0) / 1024**2, 2),
        **load(),
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "kafka": pinned_version("kafka"),
        "elasticsearch": pinned_version("elasticsearch"),
        "packages": {name: _package_version(name) for name in PACKAGES},
        "kafka_python_crc32c": kafka_python_crc32c(),
        "git": _git_revision(),
    }
