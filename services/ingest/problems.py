"""RFC 9457 problem details: every error the API gives has this one shape.

The `type` of each problem is a relative URI naming a section of the README
(`/problems/<slug>`), so a client can branch on it without parsing prose.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """An error answered to the client, never a 500."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        return body


def json_pointer(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as an RFC 6901 JSON Pointer, e.g. `/bylines/0/name`."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in loc) or "/"


def from_validation_error(error: ValidationError, title: str = "Invalid article") -> Problem:
    errors = [
        {"pointer": json_pointer(tuple(e["loc"])), "message": e["msg"], "code": e["type"]}
        for e in error.errors(include_url=False)
    ]
    fields = ", ".join(sorted({e["pointer"] for e in errors}))
    return Problem(422, "validation-error", title, f"{len(errors)} invalid field(s): {fields}", errors)


def malformed_json(detail: str) -> Problem:
    return Problem(400, "malformed-json", "Body is not valid JSON", detail)


def too_deep(limit: int) -> Problem:
    return Problem(
        400, "too-deep", "JSON nested too deeply", f"Arrays and objects nest deeper than {limit} levels"
    )


def too_large(limit: int, what: str = "request body") -> Problem:
    return Problem(413, "too-large", "Payload too large", f"The {what} exceeds the limit of {limit} bytes")


def unsupported_media_type(got: str, allowed: list[str]) -> Problem:
    return Problem(
        415,
        "unsupported-media-type",
        "Unsupported Content-Type",
        f"Got {got or 'none'}; this endpoint takes {', '.join(allowed)}",
    )


def kafka_unavailable(detail: str, retry_after_s: int) -> Problem:
    return Problem(
        503,
        "kafka-unavailable",
        "Kafka did not acknowledge the write",
        f"{detail}; nothing from this request is claimed as accepted, retry it later",
        headers={"Retry-After": str(retry_after_s)},
    )
