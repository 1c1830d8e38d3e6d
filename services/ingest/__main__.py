"""`python -m services.ingest`: serve the ingest API with uvicorn."""

from __future__ import annotations

import uvicorn

from services.common.logging import configure_logging, logging_dict_config
from services.ingest.api import create_app
from services.ingest.settings import IngestSettings


def main() -> None:
    settings = IngestSettings()
    configure_logging("ingest", settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=logging_dict_config("ingest", settings.log_level),
        access_log=False,
    )


if __name__ == "__main__":
    main()
