import pytest
from pydantic import SecretStr

from services.ingest.auth import ANONYMOUS, authenticate
from services.ingest.problems import Problem
from services.ingest.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_the_burst_then_asks_to_wait_then_refills() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_s=10, burst=5, clock=clock)
    assert [limiter.take("k") for _ in range(5)] == [0.0] * 5
    wait = limiter.take("k")
    assert wait == pytest.approx(0.1)
    assert limiter.take("other") == 0.0  # keys have their own buckets
    clock.now = 0.5
    assert limiter.take("k", 5) == 0.0
    assert RateLimiter.retry_after_header(0.1) == "1"
    assert RateLimiter.retry_after_header(2.2) == "3"


def test_a_bulk_larger_than_the_burst_waits_for_a_full_bucket_not_forever() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_s=10, burst=5, clock=clock)
    assert limiter.take("k", 50) == 0.0
    assert limiter.take("k", 50) == pytest.approx(0.5)


KEYS = {"feedA": SecretStr("alpha-secret"), "feedB": SecretStr("beta-secret")}


def test_any_configured_key_is_accepted_and_named() -> None:
    assert authenticate("alpha-secret", KEYS, disabled=False) == "feedA"
    assert authenticate("beta-secret", KEYS, disabled=False) == "feedB"


@pytest.mark.parametrize("presented", [None, "", "alpha-secre", "alpha-secret2"])
def test_missing_or_wrong_key_is_401(presented: str | None) -> None:
    with pytest.raises(Problem) as caught:
        authenticate(presented, KEYS, disabled=False)
    assert caught.value.status == 401
    assert caught.value.headers["WWW-Authenticate"] == "ApiKey"


def test_auth_is_off_only_when_explicitly_disabled() -> None:
    assert authenticate(None, {}, disabled=True) == ANONYMOUS
    with pytest.raises(Problem):
        authenticate("anything", {}, disabled=False)


def test_api_keys_are_read_from_the_environment_as_id_secret_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.ingest.settings import IngestSettings

    monkeypatch.setenv("WIRESTREAM_INGEST_API_KEYS", "feedA:alpha, feedB:beta")
    keys = IngestSettings().api_keys
    assert {k: v.get_secret_value() for k, v in keys.items()} == {"feedA": "alpha", "feedB": "beta"}
    monkeypatch.setenv("WIRESTREAM_INGEST_API_KEYS", "no-colon")
    with pytest.raises(ValueError, match="id:secret"):
        IngestSettings()
