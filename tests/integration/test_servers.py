"""The servers the tests run are the real ones, at the pinned versions."""

from __future__ import annotations

from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from infra.maven import pinned_version
from infra.settings import InfraSettings
from services.common.topics import ALL_TOPICS


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
        assert {spec.name for spec in ALL_TOPICS} <= topics
        # Topics carry the configs declared in services/common/topics.py, read back over the
        # DescribeConfigs API that Kafka 4 still serves to kafka-python.
        for spec in ALL_TOPICS:
            resource = ConfigResource(ConfigResourceType.TOPIC, spec.name, list(spec.config))
            stored = admin.describe_configs([resource])["topic"][spec.name]
            assert {key: entry["value"] for key, entry in stored.items()} == spec.config, spec.name
    finally:
        admin.close()
