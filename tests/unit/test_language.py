"""Language detection and the decision to run the English NER model."""

from datetime import UTC, datetime

import pytest

from schemas.article import ArticleSubmission
from services.enrich.language import (
    MIN_LETTERS,
    LanguageDecision,
    article_language,
    decide_language,
    detect_language,
    primary_subtag,
)
from services.ingest.intake import to_raw_article

ENGLISH = (
    "Belarusian President Alexander Lukashenko made the proposal as he met with Putin in the Black Sea "
    "resort of Sochi, where the Russian leader said he would brief him about the talks."
)
GERMAN = (
    "Der Bundestag hat am Donnerstag die Verlängerung der Mietpreisbremse bis Ende 2029 beschlossen. "
    "Für das Gesetz stimmten die Abgeordneten der Regierungsfraktionen und der Grünen."
)
SPANISH = (
    "El Gobierno chileno aprobó el martes un plan de 300 millones de dólares para vigilar y proteger "
    "los glaciares de la cordillera de los Andes, que abastecen de agua a millones de personas."
)
FRENCH = (
    "Le gouvernement a présenté mercredi un projet de loi destiné à réduire les délais de construction "
    "des logements sociaux dans les grandes villes, a annoncé la ministre lors d'une conférence de presse."
)


@pytest.mark.parametrize(("text", "code"), [(ENGLISH, "en"), (GERMAN, "de"), (SPANISH, "es"), (FRENCH, "fr")])
def test_a_paragraph_is_enough_to_tell_the_language(text: str, code: str) -> None:
    assert detect_language(text) == code


def test_a_text_too_short_to_tell_gets_no_answer_rather_than_a_guess() -> None:
    headline = "Putin meets Lukashenko in Sochi"  # lingua's low-accuracy mode calls this Dutch
    assert sum(c.isalpha() for c in headline) < MIN_LETTERS
    assert detect_language(headline) is None


def test_language_tags_go_by_their_primary_subtag() -> None:
    assert [primary_subtag(tag) for tag in ("en-GB", "DE", "pt-BR", None, "")] == [
        "en",
        "de",
        "pt",
        None,
        None,
    ]


def test_english_runs_the_model() -> None:
    decision = decide_language("en-US", ENGLISH)
    assert decision == LanguageDecision(language="en", declared="en", detected="en")
    assert (decision.run_ner, decision.entities_skipped) == (True, None)


def test_another_language_skips_the_model_and_says_why() -> None:
    decision = decide_language(None, GERMAN)
    assert (decision.language, decision.run_ner) == ("de", False)
    assert decision.entities_skipped == "language de: no model for it"


def test_the_text_overrules_a_wrong_declared_language() -> None:
    decision = decide_language("en", SPANISH)
    assert (decision.language, decision.declared, decision.detected, decision.run_ner) == (
        "es",
        "en",
        "es",
        False,
    )


def test_a_short_text_keeps_the_feeds_word_or_is_read_when_there_is_none() -> None:
    assert decide_language("fr", "Bonjour Paris").language == "fr"
    unknown = decide_language(None, "Putin meets Lukashenko")
    assert (unknown.language, unknown.run_ner) == (None, True)


def test_article_language_reads_the_headline_and_the_opening_paragraphs() -> None:
    submission = ArticleSubmission(
        headline="Bundestag beschließt Verlängerung der Mietpreisbremse",
        source={"name": "Nachrichtenblatt"},
        published_at=datetime(2025, 5, 1, tzinfo=UTC),
        body=[GERMAN] * 50,
    )
    article = to_raw_article(
        submission,
        received_at=datetime(2025, 5, 1, tzinfo=UTC),
        key_id=None,
        content_type="application/json",
        original=b"",
    )
    assert article_language(article).language == "de"
