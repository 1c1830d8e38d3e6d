"""Wirestream's three services (ingest, enrich, index) and what they share."""
