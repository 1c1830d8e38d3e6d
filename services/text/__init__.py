"""Pure text analysis shared by ingest and enrich: datelines, contributor lines."""
