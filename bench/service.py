"""Run a real Wirestream service (`python -m services.<name>`) as a child process for a benchmark."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from bench.harness import progress, tree_cpu_seconds
from infra.settings import REPO_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServiceProcess:
    """One service in its own session, logging to a file, stopped with SIGTERM (SIGKILL if stuck)."""

    def __init__(
        self, module: str, env: dict[str, str], log_file: Path, cpus: frozenset[int] | None = None
    ) -> None:
        self.module = module
        self.env = env
        self.log_file = log_file
        self.cpus = cpus  # pinned from its first instruction, threads and children alike
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.pid)

    def start(self) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as out:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", self.module],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env},
                cwd=REPO_ROOT,
                start_new_session=True,  # Ctrl-C reaches the harness, which stops us in order
                preexec_fn=self._pin if self.cpus else None,
            )

    def _pin(self) -> None:
        assert self.cpus
        os.sched_setaffinity(0, self.cpus)

    def exited(self) -> int | None:
        return self._proc.poll() if self._proc is not None else None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_http_ok(self, url: str, timeout_s: float) -> None:
        """Poll `url` until it answers 200; fail early if the process exits."""
        deadline = time.monotonic() + timeout_s
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                code = self.exited()
                if code is not None:
                    raise RuntimeError(
                        f"{self.module} exited with {code} during start-up:\n{self.log_tail()}"
                    )
                try:
                    if client.get(url).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
        raise TimeoutError(f"{url} not ready after {timeout_s:.0f}s; see {self.log_file}")

    def stop(self, timeout_s: float = 20.0) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            progress(f"{self.module} did not stop within {timeout_s:.0f}s; killing it")
            proc.kill()
            proc.wait()

    def __enter__(self) -> ServiceProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
