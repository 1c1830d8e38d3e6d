"""`python -m services.index`: consume `articles.enriched` into Elasticsearch."""

from __future__ import annotations

import uvicorn

from services.common.logging import configure_logging, logging_dict_config
from services.index.http import create_app
from services.index.settings import IndexSettings


def main() -> None:
    settings = IndexSettings()
    configure_logging("index", settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=logging_dict_config("index", settings.log_level),
        access_log=False,
    )


if __name__ == "__main__":
    main()
