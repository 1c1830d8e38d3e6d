"""Where a service spends its CPU during a benchmark: py-spy samples, read into hot spots.

py-spy attaches to a running process (and its children: enrich's model runs in one)
without changing it, samples its Python stacks, and writes them in the collapsed
("raw") format, one line per distinct stack with its sample count. `hot_spots` reads
that into the functions that were on CPU most (self time) and, among the project's own
functions, those most often on the stack (inclusive time): the first says what is slow,
the second which of our steps it belongs to.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

RATE_PER_S = 50  # enough for a profile over minutes; a tenth of a core at most
OWN_CODE = ("services/", "schemas/")
# Frames on every stack of a service (its entry point, the server loop): no information.
ENTRY_POINTS = ("<module> ", "__main__.py", "services/common/serve.py")


@dataclass(frozen=True)
class HotSpot:
    frame: str
    share: float  # of the service's samples


@dataclass(frozen=True)
class Profile:
    samples: int
    by_process: dict[str, float]  # "main" and each child process, share of samples
    self_time: list[HotSpot]
    own_inclusive: list[HotSpot]

    def as_dict(self) -> dict[str, object]:
        return {
            "samples": self.samples,
            "by_process": {k: round(v, 3) for k, v in self.by_process.items()},
            "self": [(h.frame, round(h.share, 3)) for h in self.self_time],
            "own_inclusive": [(h.frame, round(h.share, 3)) for h in self.own_inclusive],
        }


def _split(line: str) -> tuple[list[str], int] | None:
    stack, _, count = line.rstrip().rpartition(" ")
    if not stack or not count.isdigit():
        return None
    return stack.split(";"), int(count)


def hot_spots(collapsed: str, top: int = 8) -> Profile:
    """Self and own-code inclusive time from py-spy's raw output of one process tree."""
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    processes: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        parsed = _split(line)
        if parsed is None:
            continue
        frames, count = parsed
        depth = sum(1 for f in frames if f.startswith("process "))
        code = [f for f in frames if not f.startswith("process ")]
        if not code:
            continue
        total += count
        processes["main" if depth <= 1 else f"child {depth - 1}"] += count
        self_time[code[-1]] += count
        for frame in set(code):
            if any(m in frame for m in OWN_CODE) and not any(m in frame for m in ENTRY_POINTS):
                inclusive[frame] += count
    share = 1 / total if total else 0.0
    return Profile(
        samples=total,
        by_process={name: n * share for name, n in processes.most_common()},
        self_time=[HotSpot(f, n * share) for f, n in self_time.most_common(top)],
        own_inclusive=[HotSpot(f, n * share) for f, n in inclusive.most_common(top)],
    )


def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return found if Path(found).exists() else None


class Sampler:
    """py-spy recording one process tree until `stop`."""

    def __init__(self, pid: int, output: Path) -> None:
        self.output = output
        executable = py_spy()
        if executable is None:
            raise RuntimeError("py-spy is not installed (it is a dev dependency: pip install -e '.[dev]')")
        self._proc = subprocess.Popen(
            [
                executable,
                "record",
                "--pid",
                str(pid),
                "--subprocesses",
                "--nonblocking",
                "--nolineno",
                "--format",
                "raw",
                "--rate",
                str(RATE_PER_S),
                "--output",
                str(output),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def stop(self) -> Profile:
        """Stop sampling (py-spy writes its file on SIGINT) and read the profile."""
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)
        try:
            _, stderr = self._proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            _, stderr = self._proc.communicate()
        if not self.output.exists():
            raise RuntimeError(f"py-spy wrote no profile: {stderr.decode(errors='replace')[-500:]}")
        return hot_spots(self.output.read_text())
