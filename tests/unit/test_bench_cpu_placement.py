"""The end-to-end benchmark's CPU placement: the model on its own CPU, the rest on the others."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.cpu_placement import Placement, placed

pytestmark = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="placement needs two CPUs")


def _threads(pid: int) -> list[int]:
    return [int(task.name) for task in Path(f"/proc/{pid}/task").iterdir()]


def test_the_plan_gives_the_model_one_cpu_and_the_rest_the_others() -> None:
    plan = Placement.plan()
    assert plan is not None
    assert len(plan.model) == 1
    assert plan.model | plan.rest == plan.every == frozenset(os.sched_getaffinity(0))
    assert not plan.model & plan.rest


def test_a_running_server_is_pinned_thread_by_thread_and_gets_every_cpu_back() -> None:
    plan = Placement.plan()
    assert plan is not None
    # A server stand-in with a second thread, running before the placement starts.
    script = "import threading, time; threading.Thread(target=time.sleep, args=(60,)).start(); time.sleep(60)"
    server = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 10
        while len(_threads(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(_threads(server.pid)) == 2
        with placed(plan, [server.pid]):
            during = [os.sched_getaffinity(t) for t in [*_threads(server.pid), *_threads(os.getpid())]]
        after = [os.sched_getaffinity(t) for t in [*_threads(server.pid), *_threads(os.getpid())]]
    finally:
        server.kill()
        server.wait()
    assert len(during) >= 3  # the server's two threads, and ours
    assert all(cpus == plan.rest for cpus in during)
    assert all(cpus == plan.every for cpus in after)
