"""Benchmarks of the platform against real Kafka and Elasticsearch: `python -m bench`."""
