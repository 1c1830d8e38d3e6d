"""Starting, stopping and wiping the local Kafka and Elasticsearch: what the launcher, the tests
and the benchmarks share (`python -m infra` is the command line over it)."""

from __future__ import annotations

import shutil

from infra.maven import fetch
from infra.servers import elasticsearch, kafka, prepare_elasticsearch, prepare_kafka
from infra.settings import InfraSettings


def up(settings: InfraSettings) -> None:
    """Start both (in parallel: Elasticsearch is the slow one) and wait until healthy."""
    fetch(settings.dist_dir)
    prepare_kafka(settings)
    prepare_elasticsearch(settings)
    daemons = [kafka(settings), elasticsearch(settings)]
    for daemon in daemons:
        daemon.start()
    try:
        for daemon in daemons:
            daemon.wait_healthy(settings.start_timeout_s)
    except Exception:
        down(settings)
        raise


def down(settings: InfraSettings) -> None:
    for daemon in (elasticsearch(settings), kafka(settings)):
        daemon.stop(settings.stop_timeout_s)


def wipe(settings: InfraSettings) -> None:
    down(settings)
    shutil.rmtree(settings.state_dir, ignore_errors=True)


def status(settings: InfraSettings) -> int:
    code = 0
    for daemon in (kafka(settings), elasticsearch(settings)):
        pid = daemon.pid()
        healthy = pid is not None and daemon.healthy()
        code |= 0 if healthy else 1
        print(f"{daemon.name:14} pid={pid or '-':<8} healthy={healthy}  log={daemon.log_file}")
    return code
