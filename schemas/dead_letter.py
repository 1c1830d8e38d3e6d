"""A message that a stage could not process, kept with the reason and its original bytes."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, ConfigDict, Field

from schemas.base import Message

Stage = Literal["ingest", "enrich", "index"]


class DeadLetter(Message):
    # Bytes travel as base64 in JSON; in Python they stay the bytes that failed.
    model_config = ConfigDict(extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")

    stage: Stage
    step: str | None = Field(None, description="Where within the stage, e.g. 'analyse' or 'link' in enrich.")
    error_class: str = Field(description="e.g. 'ValidationError', 'mapper_parsing_exception'.")
    message: str
    original: bytes = Field(
        description="The message's value as it was consumed; in JSON, URL-safe base64 (RFC 4648 section 5)."
    )
    original_key: str | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    failed_at: AwareDatetime
