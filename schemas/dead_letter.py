"""A message that a stage could not process, kept with the reason and its original bytes."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Base64Bytes, Field

from schemas.base import Message

Stage = Literal["ingest", "enrich", "index"]


class DeadLetter(Message):
    stage: Stage
    error_class: str = Field(description="e.g. 'ValidationError', 'mapper_parsing_exception'.")
    message: str
    original: Base64Bytes = Field(description="The message's value as it was consumed (base64 in JSON).")
    original_key: str | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    failed_at: AwareDatetime
