"""The servers the tests run are the real ones, at the pinned versions."""

from __future__ import annotations

from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from infra.maven import pinned_version
from infra.settings import InfraSettings


def test_elasticsearch_passes_the_client_product_check(infra: InfraSettings) -> None:
    es = Elasticsearch(infra.es_url)
    health = es.cluster.health()  # raises UnsupportedProductError for a look-alike
    assert health["status"] in ("green", "yellow")
    assert health.meta.headers["x-elastic-product"] == "Elasticsearch"
    nodes = es.nodes.info()
    (node,) = nodes["nodes"].values()
    assert node["version"] == pinned_version("elasticsearch")


def test_kafka_4_speaks_to_kafka_python(infra: InfraSettings) -> None:
    admin = KafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    try:
        (broker,) = admin.describe_cluster()["brokers"]
        assert broker["port"] == infra.kafka_port
        topics = set(admin.list_topics())
        assert {"articles.raw", "articles.enriched", "articles.dlq", "articles.control"} <= topics
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1")])
        assert configs  # the broker answered a modern DescribeConfigs request
    finally:
        admin.close()
