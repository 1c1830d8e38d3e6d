"""Run an ASGI app the way every HTTP service here runs: uvicorn, JSON logs, no access log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import uvicorn

from services.common.logging import configure_logging, logging_dict_config
from services.common.settings import CommonSettings


def serve(
    app_factory: Callable[[Any], Any], settings: CommonSettings, *, service: str, host: str, port: int
) -> None:
    configure_logging(service, settings.log_level)
    uvicorn.run(
        app_factory(settings),
        host=host,
        port=port,
        log_config=logging_dict_config(service, settings.log_level),
        access_log=False,
    )
