"""The real Kafka and Elasticsearch for the integration tests, on ports of their own.

The servers start once per test session from a wiped state folder (`.state/test`)
and stop at the end, so a developer's own instance (`make infra-up`) is never
touched. Override the ports with WIRESTREAM_TEST_KAFKA_PORT / _ES_PORT and the folder
with WIRESTREAM_TEST_STATE_DIR.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.lifecycle import down, up, wipe
from infra.settings import REPO_ROOT, InfraSettings
from services.common.topic_admin import ensure_topics


def _test_infra() -> InfraSettings:
    kafka_port = int(os.environ.get("WIRESTREAM_TEST_KAFKA_PORT", "29092"))
    es_port = int(os.environ.get("WIRESTREAM_TEST_ES_PORT", "29200"))
    return InfraSettings(
        kafka_port=kafka_port,
        kafka_controller_port=kafka_port + 1,
        es_port=es_port,
        es_transport_port=es_port + 100,
        es_heap="768m",
        state_dir=_test_state_dir(),
    )


def _test_state_dir() -> Path:
    """`.state/test`, or WIRESTREAM_TEST_STATE_DIR so that two test runs can share a machine."""
    return Path(os.environ.get("WIRESTREAM_TEST_STATE_DIR", str(REPO_ROOT / ".state" / "test")))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark this folder's tests: pytest hands a folder's conftest every collected item."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def infra() -> Iterator[InfraSettings]:
    settings = _test_infra()
    wipe(settings)
    up(settings)
    ensure_topics(settings.kafka_bootstrap, partitions=3, replication=1)
    try:
        yield settings
    finally:
        down(settings)


@pytest.fixture(scope="session")
def kafka_bootstrap(infra: InfraSettings) -> str:
    return infra.kafka_bootstrap


@pytest.fixture(scope="session")
def es_url(infra: InfraSettings) -> str:
    return infra.es_url


@pytest.fixture(scope="session")
def session_logs_dir() -> str:
    """logs_dir for fixtures that outlive one test (a platform a module shares)."""
    path = _test_state_dir() / "service-logs"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


@pytest.fixture
def logs_dir() -> str:
    path = _test_state_dir() / "service-logs"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)
