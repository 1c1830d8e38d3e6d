"""Run an ASGI app the way every HTTP service here runs: uvicorn, JSON logs, no access log,
and a shutdown that ends within `shutdown_timeout_s` (services/common/shutdown.py)."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from services.common import shutdown
from services.common.logging import configure_logging, logging_dict_config
from services.common.settings import CommonSettings


class BoundedServer(uvicorn.Server):
    """uvicorn's server with the exit deadline installed over its own signal handlers.

    `capture_signals` is where uvicorn installs them (with `signal.signal`, and puts the
    previous ones back when it is done): ours go in right after, and call uvicorn's.
    """

    def __init__(self, config: uvicorn.Config, shutdown_timeout_s: float) -> None:
        super().__init__(config)
        self.shutdown_timeout_s = shutdown_timeout_s

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            shutdown.install(self.shutdown_timeout_s)
            yield


def serve(
    app_factory: Callable[[Any], Any], settings: CommonSettings, *, service: str, host: str, port: int
) -> None:
    configure_logging(service, settings.log_level)
    config = uvicorn.Config(
        app_factory(settings),
        host=host,
        port=port,
        log_config=logging_dict_config(service, settings.log_level),
        access_log=False,
        # Half the budget for requests still open, so that the lifespan's own shutdown
        # (the indexer's batch in flight) has the rest before the deadline.
        timeout_graceful_shutdown=max(1, math.ceil(settings.shutdown_timeout_s / 2)),
    )
    server = BoundedServer(config, settings.shutdown_timeout_s)
    with suppress(KeyboardInterrupt):  # SIGINT, raised again once the server has stopped
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
