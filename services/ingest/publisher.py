"""Kafka adapter: publish records and wait for the broker's acknowledgement of each.

kafka-python's producer is thread-based; its futures are bridged onto the event
loop so that a request can await exactly the acknowledgements of its own
records. `send()` may block while metadata is unknown (broker down), so it runs
on one dedicated thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError, MessageSizeTooLargeError

from services.common.errors import PublishUnavailable, RecordRejected
from services.common.probes import tcp_reachable
from services.common.topics import MAX_RECORD_BYTES
from services.ingest.delivery import Record

log = logging.getLogger(__name__)


class KafkaPublisher:
    def __init__(
        self,
        bootstrap: str,
        *,
        timeout_s: float,
        client_id: str = "wirestream-ingest",
        on_connect: Callable[[], None] = lambda: None,
    ) -> None:
        self._bootstrap = bootstrap
        self._on_connect = on_connect
        self._timeout_s = timeout_s
        self._client_id = client_id
        self._producer: KafkaProducer | None = None
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kafka-send")
        self._stopped = threading.Event()
        self._connector = threading.Thread(
            target=self._connect_until_stopped, name="kafka-connect", daemon=True
        )

    def start(self) -> None:
        self._connector.start()

    def _connect_until_stopped(self) -> None:
        """The producer cannot be built while no broker answers, so keep trying in the background.

        `on_connect` runs first (it declares the topics) and is retried with the producer.
        """
        while not self._stopped.is_set():
            try:
                self._on_connect()
                producer = KafkaProducer(
                    bootstrap_servers=self._bootstrap,
                    client_id=self._client_id,
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=5,
                    compression_type=None,
                    max_block_ms=int(self._timeout_s * 1000),
                    request_timeout_ms=int(min(self._timeout_s, 30) * 1000),
                    delivery_timeout_ms=int(max(self._timeout_s, 1) * 1000) + 1000,
                    max_request_size=MAX_RECORD_BYTES,
                    bootstrap_timeout_ms=5000,
                )
                self._producer = producer
                log.info("kafka producer connected", extra={"bootstrap": self._bootstrap})
                return
            except KafkaError as exc:
                log.warning("kafka not reachable yet", extra={"error": str(exc)})
                self._stopped.wait(1.0)

    def close(self) -> None:
        self._stopped.set()
        self._sender.shutdown(wait=True)
        if self._producer is not None:
            self._producer.close(timeout=5)

    def reachable(self) -> bool:
        """True when the producer exists and a bootstrap broker accepts a TCP connection."""
        if self._producer is None:
            return False
        return tcp_reachable(self._bootstrap)

    async def publish(self, topic: str, records: Sequence[Record]) -> list[BaseException | None]:
        """Send every record; return, per record, None once acknowledged or the RecordRejected.

        Raises PublishUnavailable when Kafka cannot take the batch within the timeout.
        """
        if not records:
            return []
        if self._producer is None:
            raise PublishUnavailable("Kafka is not reachable")
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        try:
            futures = await loop.run_in_executor(self._sender, self._send_all, loop, topic, records)
        except KafkaError as exc:
            raise PublishUnavailable(f"Kafka did not accept the records: {exc}") from exc
        remaining = self._timeout_s - (time.monotonic() - started)
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*futures, return_exceptions=True), timeout=max(remaining, 0.01)
            )
        except TimeoutError as exc:
            raise PublishUnavailable(f"no acknowledgement within {self._timeout_s:g}s") from exc
        outcome: list[BaseException | None] = []
        for result in results:
            if isinstance(result, MessageSizeTooLargeError):
                outcome.append(RecordRejected(f"Kafka refused the record: {result}"))
            elif isinstance(result, BaseException):
                raise PublishUnavailable(f"Kafka did not acknowledge: {result}") from result
            else:
                outcome.append(None)
        return outcome

    def _send_all(
        self, loop: asyncio.AbstractEventLoop, topic: str, records: Sequence[Record]
    ) -> list[asyncio.Future[Any]]:
        producer = self._producer
        assert producer is not None
        futures: list[asyncio.Future[Any]] = []
        for record in records:
            waiter: asyncio.Future[Any] = loop.create_future()
            futures.append(waiter)
            try:
                sent = producer.send(
                    topic, key=record.key.encode(), value=record.value, headers=list(record.headers)
                )
            except MessageSizeTooLargeError as exc:
                loop.call_soon_threadsafe(_settle, waiter, exc)
                continue
            sent.add_callback(lambda metadata, w=waiter: loop.call_soon_threadsafe(_settle, w, metadata))
            sent.add_errback(lambda exc, w=waiter: loop.call_soon_threadsafe(_settle, w, exc))
        return futures


def _settle(waiter: asyncio.Future[Any], result: Any) -> None:
    if waiter.done():
        return
    if isinstance(result, BaseException):
        waiter.set_exception(result)
    else:
        waiter.set_result(result)
