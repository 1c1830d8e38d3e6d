from schemas.dead_letter import DeadLetter
from services.common.dead_letters import dead_letter


def test_any_bytes_make_a_dead_letter_that_round_trips_through_json() -> None:
    for original in (b'{"not": "base64"}', b"\xff\x00\xfe", b"", b"abc"):
        letter = dead_letter(
            "index", ValueError("boom"), original, key=b"k1", topic="t", partition=2, offset=7
        )
        assert letter.original == original
        assert (letter.error_class, letter.message, letter.original_key) == ("ValueError", "boom", "k1")
        assert DeadLetter.model_validate_json(letter.model_dump_json()) == letter


def test_dead_letter_json_carries_the_bytes_as_base64() -> None:
    import base64
    import json

    letter = dead_letter(
        "enrich", "mapper_parsing_exception: bad", b"\xff{}", error_class="mapper_parsing_exception"
    )
    body = json.loads(letter.model_dump_json())
    assert base64.urlsafe_b64decode(body["original"]) == b"\xff{}"
    assert body["error_class"] == "mapper_parsing_exception"
