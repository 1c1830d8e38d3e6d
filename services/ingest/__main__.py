"""`python -m services.ingest`: serve the ingest API with uvicorn."""

from services.common.serve import serve
from services.ingest.api import create_app
from services.ingest.settings import IngestSettings

if __name__ == "__main__":
    settings = IngestSettings()
    serve(create_app, settings, service="ingest", host=settings.host, port=settings.port)
