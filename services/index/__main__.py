"""`python -m services.index`: consume `articles.enriched` into Elasticsearch."""

from services.common.serve import serve
from services.index.http import create_app
from services.index.settings import IndexSettings

if __name__ == "__main__":
    settings = IndexSettings()
    serve(create_app, settings, service="index", host=settings.host, port=settings.port)
