"""Enrich's settings: `WIRESTREAM_ENRICH_*`, plus the platform-wide `WIRESTREAM_*` ones."""

from __future__ import annotations

import os
from datetime import timedelta

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import CommonSettings
from services.enrich.sidebar_links import LinkSettings


class EnrichSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="WIRESTREAM_ENRICH_", populate_by_name=True, extra="ignore")

    app_id: str = Field("wirestream-enrich", description="Faust app id: the consumer group and table prefix.")
    host: str = "127.0.0.1"
    port: int = 8081
    data_dir: str = Field(".state/enrich", description="Faust's local data folder.")
    words_per_minute: int = Field(230, ge=1, description="Reading speed behind reading_time_minutes.")
    session_timeout_s: float = Field(
        60, ge=6, description="A worker silent this long leaves the group and its partitions move."
    )
    batch_size: int = Field(
        32, ge=1, le=1000, description="Articles taken from Kafka and handed to the model process at once."
    )
    model_cpus: frozenset[int] = Field(
        frozenset(),
        description="CPUs the model process is pinned to, as a JSON list (e.g. [1]); empty: not pinned.",
    )
    batch_wait_s: float = Field(
        0.05, gt=0, description="Longest wait to fill a batch; a busy model fills it meanwhile."
    )
    links_k: int = Field(8, ge=1, le=50, description="Links per sidebar list (Related, Ranking, ...).")
    recent_window_hours: float = Field(
        72, gt=0, description="Articles published this long before the newest one seen stay linkable."
    )
    near_duplicate_threshold: float = Field(
        0.5, gt=0, le=1, description="Estimated body-shingle Jaccard from which an article is a near-copy."
    )
    min_related_score: float = Field(0.1, ge=0, le=1, description="Weakest similarity listed as Related.")
    freshness_half_life_hours: float = Field(
        12, gt=0, description="Recommendation halves an article's score per this many hours older."
    )
    max_per_source: int = Field(2, ge=1, description="Most Recommendation links from one source.")

    @field_validator("model_cpus")
    @classmethod
    def _cpus_we_may_use(cls, cpus: frozenset[int]) -> frozenset[int]:
        """Checked here: in the model process a wrong CPU would only say that the process died.
        (The host's CPUs, not this process's: the worker itself may be pinned to the others.)"""
        host = set(range(os.cpu_count() or 1))
        if not cpus <= host:
            raise ValueError(f"CPUs {sorted(cpus - host)} are not among this host's CPUs {sorted(host)}")
        return cpus

    @property
    def links(self) -> LinkSettings:
        return LinkSettings(
            k=self.links_k,
            min_related_score=self.min_related_score,
            freshness_half_life=timedelta(hours=self.freshness_half_life_hours),
            max_per_source=self.max_per_source,
        )

    @property
    def recent_window(self) -> timedelta:
        return timedelta(hours=self.recent_window_hours)
