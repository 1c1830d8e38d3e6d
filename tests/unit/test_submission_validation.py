import pytest
from pydantic import ValidationError

from schemas.article import ArticleSubmission
from services.ingest.problems import from_validation_error, json_pointer
from tests.support import submission


def _problem(payload: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        ArticleSubmission.model_validate(payload)
    return from_validation_error(caught.value).body("/v1/articles")


def test_valid_submission_keeps_paragraph_order_and_drops_blank_ones() -> None:
    parsed = ArticleSubmission.model_validate(submission(body=["one", "  ", "two"]))
    assert parsed.body == ["one", "two"]


def test_naive_datetime_is_refused_with_its_pointer() -> None:
    body = _problem(submission(published_at="2025-04-27T12:18:27"))
    assert body["status"] == 422
    assert body["type"] == "/problems/validation-error"
    assert [e["pointer"] for e in body["errors"]] == ["/published_at"]
    assert body["instance"] == "/v1/articles"


def test_nested_field_errors_name_their_path() -> None:
    body = _problem(
        submission(bylines=[{"name": "A"}, {"name": ""}], source={"name": "X", "url": "not a url"})
    )
    assert sorted(e["pointer"] for e in body["errors"]) == ["/bylines/1/name", "/source/url"]
    assert "/bylines/1/name" in body["detail"]


def test_unknown_fields_are_refused_not_ignored() -> None:
    body = _problem(submission(hedline="typo"))
    assert body["errors"][0]["pointer"] == "/hedline"
    assert body["errors"][0]["code"] == "extra_forbidden"


def test_article_needs_a_body() -> None:
    assert "needs a body" in _problem(submission(body=[]))["errors"][0]["message"]


def test_negative_reaction_counts_are_refused() -> None:
    body = _problem(submission(reactions={"veryGood": -1}))
    assert body["errors"][0]["pointer"] == "/reactions/veryGood"


def test_json_pointer_escapes_rfc6901_characters() -> None:
    assert json_pointer(("reactions", "a/b~c")) == "/reactions/a~1b~0c"
    assert json_pointer(()) == "/"
