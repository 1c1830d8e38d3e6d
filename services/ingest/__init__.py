"""Ingest: the HTTP API that validates articles and publishes them to `articles.raw`."""
