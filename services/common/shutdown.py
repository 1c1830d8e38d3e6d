"""A deadline on stopping: once SIGTERM or SIGINT arrives, the process is gone within the
shutdown timeout, whether or not its graceful path finishes.

The frameworks stop gracefully on their event loop: uvicorn's handler sets a flag its main
loop reads, and asyncio's `loop.add_signal_handler` (mode's Worker, under Faust) runs its
callback from the loop once the loop reads the signal off its wakeup fd. A blocked loop
never gets there, and a thread stuck in a request to a server that holds the connection
open keeps even a finished loop's process alive (the interpreter joins its pool threads
on the way out). A supervisor then waits for its own grace period and kills the process
without a word.

So the deadline is kept off the loop, by a handler installed with `signal.signal` and a
timer thread. A Python-level handler runs on the main thread between two bytecodes, even
while the loop is blocked; a blocking call the signal interrupts resumes afterwards
(PEP 475). The handler starts the timer and then calls the handler it replaced, so the
framework's graceful path still runs first:

- uvicorn's handler is a Python-level one (`Server.capture_signals`): called in turn.
- asyncio's is the C-level handler's write to the wakeup fd, which happens whatever the
  Python-level handler is; the one `add_signal_handler` leaves at Python level is a no-op.
  Replacing that also drops the SA_RESTART asyncio asked for, so a blocking system call
  is interrupted and the handler runs at once rather than when the call returns.

Install after the framework installed its own, on the main thread.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# How long the timer lets its last log line take: a main thread blocked writing to a full
# stdout holds the handler's lock, and the exit must not wait on that.
LOG_GRACE_S = 1.0


class ExitDeadline:
    """One process's deadline: armed by the first stop signal, it ends the process when due."""

    def __init__(self, *, exit: Callable[[int], Any] = os._exit) -> None:
        self._exit = exit
        self._due: float | None = None

    def install(self, timeout_s: float, signals: Iterable[int] = STOP_SIGNALS) -> bool:
        """Arm on `signals` from now on, keeping their current handlers; False off the main
        thread, where Python cannot install handlers (a server run by a test in a thread)."""
        if threading.current_thread() is not threading.main_thread():
            return False
        for signum in signals:
            signal.signal(signum, self._handler(timeout_s, signal.getsignal(signum)))
        return True

    def _handler(self, timeout_s: float, previous: Any) -> Callable[[int, FrameType | None], None]:
        def handle(signum: int, frame: FrameType | None) -> None:
            self.arm(timeout_s, signum)
            if callable(previous):  # SIG_DFL / SIG_IGN are not: the deadline is the way out
                previous(signum, frame)

        return handle

    def arm(self, timeout_s: float, signum: int = signal.SIGTERM) -> None:
        """Start the countdown; later signals keep the first deadline.

        No lock: signal handlers run on the main thread only, and the rare second timer a
        race could start would only exit at the same moment.
        """
        if self._due is not None:
            return
        self._due = time.monotonic() + timeout_s
        timer = threading.Timer(timeout_s, self._expire, args=(signum, timeout_s))
        timer.name = "exit-deadline"
        timer.daemon = True  # the normal way out must not wait for it
        timer.start()
        # After the timer: a log call can block (another thread holds the handler's lock).
        log.info("stopping", extra={"signal": signal.Signals(signum).name, "deadline_s": timeout_s})

    def time_left(self, default: float) -> float:
        """Seconds until the forced exit once armed; `default` before any stop signal."""
        if self._due is None:
            return default
        return max(0.0, self._due - time.monotonic())

    def _expire(self, signum: int, timeout_s: float) -> None:
        """Log, then exit with the status of a death by the signal (what a supervisor that
        sent it expects), without running anything else that could hang."""

        def last_words() -> None:
            log.error(
                "graceful shutdown overran its deadline; exiting now",
                extra={"signal": signal.Signals(signum).name, "deadline_s": timeout_s},
            )
            sys.stdout.flush()
            sys.stderr.flush()

        speaker = threading.Thread(target=last_words, name="exit-deadline-log", daemon=True)
        speaker.start()
        speaker.join(LOG_GRACE_S)
        self._exit(128 + signum)


_PROCESS = ExitDeadline()


def install(timeout_s: float) -> bool:
    """Bound this process's shutdown by `timeout_s` seconds from the first SIGTERM/SIGINT."""
    return _PROCESS.install(timeout_s)


def time_left(default: float) -> float:
    """What remains of this process's shutdown deadline, for steps that wait on the way out."""
    return _PROCESS.time_left(default)
