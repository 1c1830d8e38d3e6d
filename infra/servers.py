"""The two servers, configured from InfraSettings and run from the Maven-obtained distributions."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import urllib.request
import uuid
from pathlib import Path

from infra.maven import elasticsearch_home, kafka_libs
from infra.process import Daemon
from infra.settings import InfraSettings
from services.common.probes import tcp_reachable

JVM_ROOT = Path("/usr/lib/jvm")


def _java(java_home: str) -> str:
    return str(Path(java_home) / "bin" / "java") if java_home else "java"


def find_es_java_home(configured: str) -> str:
    """A JDK of major version 21 or newer for Elasticsearch 9 (Kafka is happy with 17)."""
    if configured:
        return configured
    if os.environ.get("ES_JAVA_HOME"):
        return os.environ["ES_JAVA_HOME"]
    candidates = []
    for home in sorted(JVM_ROOT.glob("*")) if JVM_ROOT.exists() else []:
        major = _java_major(home)
        if major >= 21 and (home / "bin" / "java").exists():
            candidates.append((major, str(home)))
    if not candidates:
        raise RuntimeError("Elasticsearch 9 needs Java 21+: set WIRESTREAM_INFRA_ES_JAVA_HOME")
    return max(candidates)[1]


def _java_major(home: Path) -> int:
    """The major version from a JDK's `release` file (JAVA_VERSION="25.0.1"), 0 if unknown."""
    try:
        match = re.search(r'^JAVA_VERSION="(\d+)', (home / "release").read_text(), re.M)
    except OSError:
        return 0
    return int(match.group(1)) if match else 0


def kafka(settings: InfraSettings) -> Daemon:
    """A single-node KRaft broker+controller on loopback."""
    root = settings.state_dir / "kafka"
    logs = root / "logs"
    config = root / "server.properties"
    data = root / "data"
    return Daemon(
        name="kafka",
        command=[
            _java(settings.kafka_java_home),
            f"-Xms{settings.kafka_heap}",
            f"-Xmx{settings.kafka_heap}",
            f"-Dkafka.logs.dir={logs}",
            f"-Dlog4j2.configurationFile={Path(__file__).with_name('log4j2.properties')}",
            "-cp",
            f"{kafka_libs(settings.dist_dir)}/*",
            "kafka.Kafka",
            str(config),
        ],
        pid_file=root / "kafka.pid",
        log_file=logs / "stdout.log",
        healthy=lambda: (
            (data / "meta.properties").exists()
            and tcp_reachable(f"{settings.host}:{settings.kafka_port}", timeout_s=0.5)
        ),
    )


def prepare_kafka(settings: InfraSettings) -> None:
    """Write server.properties and format the storage the first time only."""
    root = settings.state_dir / "kafka"
    data = root / "data"
    (root / "logs").mkdir(parents=True, exist_ok=True)
    host, port, cport = settings.host, settings.kafka_port, settings.kafka_controller_port
    properties = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{host}:{cport}",
        "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{cport}",
        "advertised.listeners": f"PLAINTEXT://{host}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data),
        "num.partitions": "3",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "3",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        # Topics are declared by the services (services/common/topics.py), never guessed.
        "auto.create.topics.enable": "false",
    }
    config = root / "server.properties"
    config.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
    if (data / "meta.properties").exists():
        return
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    subprocess.run(
        [
            _java(settings.kafka_java_home),
            f"-Dkafka.logs.dir={root / 'logs'}",
            f"-Dlog4j2.configurationFile={Path(__file__).with_name('log4j2.properties')}",
            "-cp",
            f"{kafka_libs(settings.dist_dir)}/*",
            "kafka.tools.StorageTool",
            "format",
            "-t",
            cluster_id,
            "-c",
            str(config),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def elasticsearch(settings: InfraSettings) -> Daemon:
    root = settings.state_dir / "elasticsearch"
    return Daemon(
        name="elasticsearch",
        command=[*_unprivileged(), str(elasticsearch_home(settings.dist_dir) / "bin" / "elasticsearch")],
        pid_file=root / "elasticsearch.pid",
        log_file=root / "logs" / "stdout.log",
        healthy=lambda: _es_healthy(settings.es_url),
        env={
            "ES_JAVA_HOME": find_es_java_home(settings.es_java_home),
            "ES_PATH_CONF": str(root / "config"),
            "ES_JAVA_OPTS": f"-Xms{settings.es_heap} -Xmx{settings.es_heap}",
        },
        cwd=root / "logs",
    )


def _unprivileged() -> list[str]:
    """Elasticsearch refuses to run as root, and CI runs as root.

    A user namespace in which we appear as an ordinary user satisfies that check
    while the files stay ours, wherever the clone lives (no chown, no extra user).
    """
    if os.geteuid() != 0:
        return []
    return ["unshare", "--user", "--map-user=1000", "--map-group=1000"]


def prepare_elasticsearch(settings: InfraSettings) -> None:
    """A private config folder: single node, loopback only, security off (local only)."""
    root = settings.state_dir / "elasticsearch"
    config = root / "config"
    (root / "logs").mkdir(parents=True, exist_ok=True)
    if not config.exists():
        shutil.copytree(elasticsearch_home(settings.dist_dir) / "config", config)
    yml = {
        "cluster.name": "wirestream-local",
        "node.name": "local-1",
        "path.data": str(root / "data"),
        "path.logs": str(root / "logs"),
        "network.host": settings.host,
        "http.port": settings.es_port,
        "transport.port": settings.es_transport_port,
        "discovery.type": "single-node",
        # Loopback only, no TLS or users: this instance is for development and tests.
        # docker-compose.yml states the same choice for its container.
        "xpack.security.enabled": False,
        # Shared developer disks are often fuller than the default watermarks allow.
        "cluster.routing.allocation.disk.threshold_enabled": False,
        "action.destructive_requires_name": False,
    }
    (config / "elasticsearch.yml").write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in yml.items()))


def _es_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health", timeout=2) as response:
            status = json.load(response).get("status")
    except OSError:
        return False
    return status in ("green", "yellow")
