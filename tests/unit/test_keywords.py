"""Keywords: the article's most telling words, never the words that attribute a statement."""

from __future__ import annotations

from services.enrich.keywords import STOP_WORDS, keywords


def test_reporting_words_are_not_keywords() -> None:
    body = [
        "The minister said the harbour strike would end, officials told reporters on Monday.",
        "According to the union, dockers said they would return; the mayor says the port lost millions.",
    ]
    found = keywords("Harbour strike to end, minister says", body)
    assert {"said", "says", "told", "according"}.isdisjoint(found)
    assert found[:2] == ["harbour", "strike"]


def test_spacy_stop_words_are_kept() -> None:
    assert {"the", "and", "would"} <= STOP_WORDS
