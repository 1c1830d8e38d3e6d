"""The NER model in a process of its own, beside the Faust worker.

In one process the model's Python and Cython work holds the GIL for most of each
batch, so the stream's own work (Kafka, the entity rules, linking, the web probes)
queues behind it and a worker used one core at 0.7x the model alone. In a child
process the model has a core to itself while the worker prepares the next batch and
finishes the last one. Only texts go in and mentions come back, both small to pickle.

A child that dies (killed, out of memory, a crash in native code) is replaced; its
batch is retried one text at a time, so a text that kills the model fails alone and
goes to the dead-letter topic instead of killing the next process too.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from services.common.errors import ModelFailure, ModelUnavailable
from services.enrich.entities import Mention
from services.enrich.mentions import Found, mentions_each

if TYPE_CHECKING:
    from services.enrich.ner_model import NerModel

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
_model: NerModel | None = None


_PLAIN_TEXT = "Warm-up text from Washington."


def _die_with_parent() -> None:
    """Linux: the kernel kills this child when the worker goes, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _load_in_child(cpus: frozenset[int]) -> None:
    from services.enrich.ner_model import NerModel

    _die_with_parent()
    if cpus:  # keeping the rest of the host off these CPUs is the deployment's part
        os.sched_setaffinity(0, cpus)
    global _model
    _model = NerModel.load()


def _find_in_child(texts: list[str]) -> list[list[Mention] | ModelFailure]:
    assert _model is not None, "the pool's initializer loads the model"
    return [
        f if isinstance(f, list) else ModelFailure(type(f).__name__, str(f))
        for f in mentions_each(_model, texts)
    ]


class ModelProcess:
    """`mentions` of texts, found by the model in a child process, one batch at a time."""

    def __init__(
        self,
        find: Callable[[list[str]], list[list[Mention] | ModelFailure]] = _find_in_child,
        cpus: frozenset[int] = frozenset(),
    ) -> None:
        self.cpus = cpus  # the CPUs the child may run on; empty: any the worker may
        self._find = find  # runs in the child; a module-level function, so the child can import it
        self.restarts = 0
        self._pool: ProcessPoolExecutor | None = None

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                # spawn, not fork: the worker has threads and an event loop a fork would copy half-way.
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_load_in_child,
                initargs=(self.cpus,),
            )
        return self._pool

    async def mentions(self, texts: list[str]) -> list[Found]:
        """What the model finds in each text, in order; a text it fails on gets the error.

        Raises ModelUnavailable when a new process cannot read even a plain text (the model
        will not load): then every article would fail, so none is dead-lettered for it.
        """
        if not texts:
            return []
        pool = self._started()
        try:
            return await self._run(pool, texts)
        except BrokenProcessPool:
            self._replace(pool)
        await self.warm_up()
        if len(texts) == 1:
            return [ModelFailure("ModelProcessDied", "the model process died while reading this text")]
        return [found for text in texts for found in await self.mentions([text])]

    async def warm_up(self) -> None:
        """Start the child, load the model there and read a plain text (readiness waits for this)."""
        pool = self._started()
        try:
            (found,) = await self._run(pool, [_PLAIN_TEXT])
        except BrokenProcessPool:
            self._replace(pool)
            raise ModelUnavailable(
                "the model process died loading the model or reading a plain text"
            ) from None
        if isinstance(found, Exception):
            raise ModelUnavailable(f"the model cannot read a plain text: {found}")

    async def _run(self, pool: ProcessPoolExecutor, texts: list[str]) -> list[Found]:
        loop = asyncio.get_running_loop()
        return list(await loop.run_in_executor(pool, self._find, texts))

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Let the broken pool go, once: every batch queued on it fails with it, and the
        first to notice must not close the pool another has started since."""
        if self._pool is not broken:
            return
        self.restarts += 1
        log.warning("model process died; starting another", extra={"restarts": self.restarts})
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
