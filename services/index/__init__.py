"""Index: writes enriched articles from `articles.enriched` into Elasticsearch."""
