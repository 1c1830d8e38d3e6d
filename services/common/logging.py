"""One JSON object per log line, for every logger in the process (uvicorn's and Faust's too)."""

from __future__ import annotations

import logging
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

FORMAT = "%(levelname)s %(name)s %(message)s"


QUIET_LOGGERS = ("kafka", "aiokafka", "elastic_transport")


def json_formatter(service: str) -> JsonFormatter:
    return JsonFormatter(
        FORMAT,
        rename_fields={"levelname": "level", "name": "logger"},
        static_fields={"service": service},
        timestamp=True,  # ISO 8601 in UTC, as "timestamp"
    )


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(json_formatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in (
        "uvicorn",
        "uvicorn.error",
        "uvicorn.access",
        "kafka",
        "aiokafka",
        "faust",
        "mode",
        "elastic_transport",
    ):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # The clients are chatty at INFO about every connection and request.
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))


def logging_dict_config(service: str, level: str = "INFO") -> dict[str, Any]:
    """The same set-up as a dictConfig, for frameworks that take one (Faust, uvicorn)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": FORMAT,
                "rename_fields": {"levelname": "level", "name": "logger"},
                "static_fields": {"service": service},
                "timestamp": True,
            }
        },
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
        },
        "root": {"handlers": ["stdout"], "level": level.upper()},
        "loggers": {name: {"level": "WARNING"} for name in QUIET_LOGGERS},
    }
