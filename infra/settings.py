"""Where the servers listen and where they keep their files, read from the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class InfraSettings(BaseSettings):
    """Ports, heaps and folders for the local Kafka and Elasticsearch.

    Every field can be set as `WIRESTREAM_INFRA_<NAME>`; the defaults are the
    standard ports on 127.0.0.1 and a `.state/dev` folder in the work tree.
    """

    model_config = SettingsConfigDict(env_prefix="WIRESTREAM_INFRA_")

    host: str = "127.0.0.1"
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    kafka_heap: str = "512m"
    es_port: int = 9200
    es_transport_port: int = 9300
    es_heap: str = "1g"
    state_dir: Path = REPO_ROOT / ".state" / "dev"
    # The JDK that runs Elasticsearch 9 (it needs Java 21 or newer). Empty means:
    # the newest JDK under /usr/lib/jvm whose major version is at least 21.
    es_java_home: str = ""
    # The JDK that runs Kafka; empty means the `java` on PATH.
    kafka_java_home: str = ""
    start_timeout_s: float = 180.0
    stop_timeout_s: float = 60.0

    @field_validator("state_dir")
    @classmethod
    def _in_the_work_tree(cls, state_dir: Path) -> Path:
        """A relative folder is the work tree's, as the default is: Elasticsearch is started
        from its own folder, where a relative path would point somewhere else."""
        return state_dir if state_dir.is_absolute() else REPO_ROOT / state_dir

    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.host}:{self.kafka_port}"

    @property
    def es_url(self) -> str:
        return f"http://{self.host}:{self.es_port}"

    @property
    def dist_dir(self) -> Path:
        """Unpacked distributions; shared by every state folder of this work tree."""
        return REPO_ROOT / ".state" / "dist"
