"""`python -m services.enrich`: run one Faust worker (start more to share the partitions)."""

from __future__ import annotations

import sys
import time

from kafka.errors import KafkaError

from services.common.logging import configure_logging
from services.common.topics import ensure_topics
from services.enrich.settings import EnrichSettings

# Faust's command line spells two of the standard level names its own way.
_FAUST_LEVELS = {"warning": "warn", "critical": "crit"}


def main() -> None:
    settings = EnrichSettings()
    configure_logging("enrich", settings.log_level)
    while True:  # the broker may still be starting
        try:
            ensure_topics(settings.kafka_bootstrap, settings.topic_partitions, settings.topic_replication)
            break
        except KafkaError:
            time.sleep(1)
    # Imported here, not at the top: the model's process (spawned) imports this module too,
    # and has no use for Faust.
    from services.enrich.app import create_app

    app = create_app(settings)
    level = settings.log_level.lower()
    # --quiet drops the start-up banner: everything on stdout stays one JSON object per line.
    sys.argv = [sys.argv[0], "--quiet", "worker", "--loglevel", _FAUST_LEVELS.get(level, level)]
    app.main()


if __name__ == "__main__":
    main()
