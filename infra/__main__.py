"""`python -m infra up|down|status|wipe`: the local Kafka and Elasticsearch."""

from __future__ import annotations

import argparse
import sys

from infra.lifecycle import down, status, up, wipe
from infra.maven import fetch, pinned_version
from infra.settings import InfraSettings


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
