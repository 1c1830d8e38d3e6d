"""Building dead letters the same way in every stage."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.dead_letter import DeadLetter, Stage


def dead_letter(
    stage: Stage,
    error: BaseException | str,
    original: bytes,
    *,
    step: str | None = None,
    error_class: str | None = None,
    key: bytes | None = None,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
) -> DeadLetter:
    return DeadLetter(
        stage=stage,
        step=step,
        error_class=error_class or (type(error).__name__ if isinstance(error, BaseException) else "Error"),
        message=str(error)[:10_000],
        original=original,
        original_key=key.decode("utf-8", "replace") if key is not None else None,
        topic=topic,
        partition=partition,
        offset=offset,
        failed_at=datetime.now(UTC),
    )
