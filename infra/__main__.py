"""`python -m infra up|down|status|wipe`: the local Kafka and Elasticsearch."""

from __future__ import annotations

import argparse
import shutil
import sys

from infra.maven import fetch, pinned_version
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status", "wipe", "fetch"])
    args = parser.parse_args(argv)
    settings = InfraSettings()
    if args.command == "fetch":
        fetch(settings.dist_dir)
    elif args.command == "up":
        up(settings)
        print(f"Kafka {pinned_version('kafka')} (KRaft) on {settings.kafka_bootstrap}")
        print(f"Elasticsearch {pinned_version('elasticsearch')} on {settings.es_url}")
        status(settings)
    elif args.command == "down":
        down(settings)
    elif args.command == "wipe":
        wipe(settings)
    else:
        return status(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
