"""`python -m services.index`: consume `articles.enriched` into Elasticsearch.

`python -m services.index reindex` rebuilds the index from Kafka and swaps the aliases.
"""

import sys

from services.common.logging import configure_logging
from services.common.serve import serve
from services.index.http import create_app
from services.index.reindex import reindex
from services.index.settings import IndexSettings

if __name__ == "__main__":
    settings = IndexSettings()
    if sys.argv[1:] == ["reindex"]:
        configure_logging("index", settings.log_level)
        print(reindex(settings))
    else:
        serve(create_app, settings, service="index", host=settings.host, port=settings.port)
