"""What every message model has in common."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Message(BaseModel):
    """A message on a topic. `schema_version` lets consumers refuse what they do not know."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    schema_version: Literal[1] = Field(1, description="Version of this message's schema.")


class Part(BaseModel):
    """A nested part of a message: no version of its own, no unknown fields."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
