"""`python -m services.enrich`: run one Faust worker (start more to share the partitions).

The imports are inside `main`: the worker's model process is spawned, and a spawned
process imports the parent's main module, so anything imported here at the top would
be loaded (and held in memory) beside the model for nothing.
"""

from __future__ import annotations

import sys
import time

# Faust's command line spells two of the standard level names its own way.
_FAUST_LEVELS = {"warning": "warn", "critical": "crit"}


def main() -> None:
    from kafka.errors import KafkaError

    from services.common import shutdown
    from services.common.logging import configure_logging
    from services.common.topic_admin import ensure_topics
    from services.enrich.app import create_app
    from services.enrich.settings import EnrichSettings

    settings = EnrichSettings()
    configure_logging("enrich", settings.log_level)
    while True:  # the broker may still be starting
        try:
            ensure_topics(settings.kafka_bootstrap, settings.topic_partitions, settings.topic_replication)
            break
        except KafkaError:
            time.sleep(1)
    app = create_app(settings)

    @app.task
    async def _bound_shutdown() -> None:
        """The exit deadline over mode's signal handlers: a task runs once the worker has
        installed them (in its first start, before it starts the app), on the main thread."""
        shutdown.install(settings.shutdown_timeout_s)

    level = settings.log_level.lower()
    # --quiet drops the start-up banner: everything on stdout stays one JSON object per line.
    sys.argv = [sys.argv[0], "--quiet", "worker", "--loglevel", _FAUST_LEVELS.get(level, level)]
    app.main()


if __name__ == "__main__":
    main()
