"""The exit deadline: a stop signal ends the process within its timeout, blocked loop or not,
and the framework's own graceful stop still runs when it can.

Each case is a small process of its own: the deadline ends the process it is armed in, and
signal handlers belong to a process's main thread.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from services.common.shutdown import ExitDeadline
from tests.support import REPO, free_port, wait_until

TIMEOUT_S = 1.0
# Generous: the host has two shared cores, and a process being killed still has to go.
MARGIN_S = 4.0
FORCED = 128 + signal.SIGTERM

# The framework's way, as mode's Worker does it (loop.add_signal_handler), then ours after it.
ASYNCIO_SCRIPT = """
import asyncio, os, signal, socket, sys, time
from services.common import shutdown
from services.common.logging import configure_logging

configure_logging("test")

async def main(block: str) -> None:
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    shutdown.install({timeout})
    print("ready", flush=True)
    if block == "sleep":
        time.sleep(60)
    elif block == "recv":
        left, right = socket.socketpair()
        left.recv(1)  # a server that holds the connection and never answers
    elif block == "busy":
        while True:
            pass
    await stopping.wait()
    print("graceful stop", flush=True)

asyncio.run(main(sys.argv[1]))
"""

# mode's Worker (what runs Faust) installs its handlers in its first start, then starts the
# services it runs: a service's start-up is where enrich installs the deadline.
MODE_SCRIPT = """
import sys, time
import mode
from services.common import shutdown
from services.common.logging import configure_logging

class Stuck(mode.Service):
    async def on_started(self) -> None:
        shutdown.install({timeout})
        print("ready", flush=True)
        if sys.argv[1] == "sleep":
            time.sleep(60)

    async def on_stop(self) -> None:
        print("graceful stop", flush=True)

configure_logging("test")
mode.Worker(Stuck(), quiet=True, override_logging=False).execute_from_commandline()
"""

# The HTTP services' way (services/common/serve.py), with a lifespan that cannot finish
# stopping: the indexer's, with its batch stuck in a request to Elasticsearch.
UVICORN_SCRIPT = """
import sys, time
from contextlib import asynccontextmanager
from starlette.applications import Starlette
from services.common.serve import serve
from services.common.settings import CommonSettings

@asynccontextmanager
async def lifespan(app):
    print("ready", flush=True)
    yield
    if sys.argv[1] == "sleep":
        time.sleep(60)
    print("graceful stop", flush=True)

settings = CommonSettings(shutdown_timeout_s={timeout})
serve(lambda s: Starlette(lifespan=lifespan), settings, service="test", host="127.0.0.1", port={port})
"""


class Output:
    """A process's output, read as it comes (a blocked reader must not hold up the test)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert proc.stdout is not None
        stream = proc.stdout
        self._reader = threading.Thread(target=lambda: self.lines.extend(stream), daemon=True)
        self._reader.start()

    @property
    def text(self) -> str:
        self._reader.join(2)
        return "".join(self.lines)


@contextmanager
def started(script: str, block: str) -> Iterator[tuple[subprocess.Popen[str], Output]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), block],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = Output(proc)
    try:
        wait_until(lambda: "ready\n" in output.lines or proc.poll() is not None, 30, what="ready")
        assert proc.poll() is None, output.text
        time.sleep(0.3)  # into the blocking call
        yield proc, output
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def stop_and_time(proc: subprocess.Popen[str]) -> float:
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=TIMEOUT_S + MARGIN_S + 30)
    return time.monotonic() - start


@pytest.mark.parametrize("block", ["sleep", "recv", "busy"])
def test_a_blocked_asyncio_loop_exits_at_the_deadline(block: str) -> None:
    with started(ASYNCIO_SCRIPT.format(timeout=TIMEOUT_S), block) as (proc, output):
        took = stop_and_time(proc)
    assert proc.returncode == FORCED, output.text
    assert TIMEOUT_S - 0.1 <= took <= TIMEOUT_S + MARGIN_S
    assert "graceful shutdown overran its deadline" in output.text
    assert "graceful stop" not in output.text


def test_asyncio_handlers_still_stop_gracefully_with_the_deadline_installed_after_them() -> None:
    with started(ASYNCIO_SCRIPT.format(timeout=30), "none") as (proc, output):
        took = stop_and_time(proc)
    assert proc.returncode == 0, output.text
    assert took < MARGIN_S
    assert "graceful stop" in output.text


@pytest.mark.parametrize(("block", "graceful"), [("sleep", False), ("none", True)])
def test_a_mode_worker_stops_gracefully_or_at_the_deadline(block: str, graceful: bool) -> None:
    timeout = TIMEOUT_S if block == "sleep" else 30
    with started(MODE_SCRIPT.format(timeout=timeout), block) as (proc, output):
        took = stop_and_time(proc)
    assert ("graceful stop" in output.text) is graceful, output.text
    assert (proc.returncode == FORCED) is not graceful, output.text
    assert took <= TIMEOUT_S + MARGIN_S


@pytest.mark.parametrize(("block", "graceful"), [("sleep", False), ("none", True)])
def test_uvicorn_stops_gracefully_or_at_the_deadline(block: str, graceful: bool) -> None:
    timeout = TIMEOUT_S if block == "sleep" else 30
    with started(UVICORN_SCRIPT.format(timeout=timeout, port=free_port()), block) as (proc, output):
        took = stop_and_time(proc)
    assert ("graceful stop" in output.text) is graceful, output.text
    # uvicorn's own way out raises the signal again once it has stopped.
    assert proc.returncode == (-signal.SIGTERM if graceful else FORCED), output.text
    assert took <= TIMEOUT_S + MARGIN_S


def test_the_deadline_is_kept_from_the_first_signal_and_reported_as_time_left() -> None:
    exits: list[int] = []
    deadline = ExitDeadline(exit=exits.append)
    assert deadline.time_left(7.0) == 7.0
    deadline.arm(0.2, signal.SIGINT)
    deadline.arm(60, signal.SIGTERM)  # a second signal does not move it
    assert 0 < deadline.time_left(7.0) <= 0.2
    wait_until(lambda: exits, 5, interval_s=0.05, what="exit")
    assert exits == [128 + signal.SIGINT]
    assert deadline.time_left(7.0) == 0.0


def test_no_handlers_are_installed_off_the_main_thread() -> None:
    installed: list[bool] = []
    before = signal.getsignal(signal.SIGTERM)
    worker = threading.Thread(target=lambda: installed.append(ExitDeadline().install(1.0)))
    worker.start()
    worker.join()
    assert installed == [False]
    assert signal.getsignal(signal.SIGTERM) is before
