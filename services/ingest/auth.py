"""API keys: several may be valid at once (for rotation), compared in constant time."""

from __future__ import annotations

import hmac

from pydantic import SecretStr

from services.ingest.problems import Problem

HEADER = "X-API-Key"
ANONYMOUS = "anonymous"


def authenticate(presented: str | None, keys: dict[str, SecretStr], disabled: bool) -> str:
    """Return the id of the key presented, or raise a 401 problem."""
    if disabled:
        return ANONYMOUS
    if not presented:
        raise Problem(
            401,
            "unauthorized",
            "API key required",
            f"Send your key in the {HEADER} header",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    matched = None
    for key_id, secret in keys.items():
        # Compare against every key so that timing does not reveal which one was close.
        if hmac.compare_digest(presented.encode(), secret.get_secret_value().encode()):
            matched = key_id
    if matched is None:
        raise Problem(
            401,
            "unauthorized",
            "Unknown API key",
            f"The {HEADER} given is not valid",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    return matched
