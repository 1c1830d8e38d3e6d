"""Entities from NER mentions: the pure rules, with hand-built mentions and no model."""

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.article import ArticleSubmission, Contributor
from schemas.enriched import Entity
from services.enrich.entities import (
    AnalysedText,
    Gazetteer,
    Mention,
    analysed_text,
    article_entities,
    article_text,
    default_gazetteer,
    entities_from_mentions,
    normalised_name,
)
from services.ingest.intake import to_raw_article

PLACES = Gazetteer(
    countries=frozenset({"Belarus", "Russia", "Jordan", "Guinea-Bissau"}),
    capitals=frozenset({"Minsk", "Moscow"}),
    cities=frozenset({"Liverpool", "George", "The Hague", "Komsomolsk-on-Amur"}),
)


def spans(text: str, *found: tuple[str, str]) -> list[Mention]:
    """Mentions for `(surface, label)` pairs given in text order, each after the one before."""
    mentions, cursor = [], 0
    for surface, label in found:
        start = text.index(surface, cursor)
        cursor = start + len(surface)
        mentions.append(Mention(text=surface, label=label, start=start, end=cursor))
    return mentions


def entities(headline: str, body: list[str], *found: tuple[str, str], **facts: Any) -> dict[str, Entity]:
    analysed = analysed_text(headline, body)
    result = entities_from_mentions(spans(analysed.text, *found), analysed, gazetteer=PLACES, **facts)
    return {e.name: e for e in result}


def kinds(by_name: dict[str, Entity]) -> dict[str, str]:
    return {name: e.type for name, e in by_name.items()}


# --- the analysed text ----------------------------------------------------------------------------


def test_the_analysed_text_is_the_headline_and_paragraphs_with_their_boundaries() -> None:
    analysed = analysed_text("Seals return", ["First paragraph.", "Second one."])
    assert analysed.text == "Seals return\n\nFirst paragraph.\n\nSecond one."
    assert analysed.text[: analysed.headline_end] == "Seals return"
    assert analysed.text[analysed.body_start : analysed.lede_end] == "First paragraph."
    assert analysed.ignored == ()


def test_a_dateline_left_in_the_lede_is_ignored_the_dateline_fields_stand_for_it() -> None:
    analysed = analysed_text("Talks", ["MOSCOW (AP) — Putin met Lukashenko.", "More."])
    (start, end), *_ = analysed.ignored
    assert analysed.text[start:end] == "MOSCOW (AP) — "
    found = entities_from_mentions(
        spans(analysed.text, ("MOSCOW", "GPE"), ("AP", "ORG"), ("Putin", "PERSON")),
        analysed,
        dateline_place="Moscow",
        dateline_agency="AP",
        gazetteer=PLACES,
    )
    assert {(e.name, e.type, e.mentions) for e in found} == {
        ("Putin", "person", 1),
        ("Moscow", "place", 1),
        ("Associated Press", "organization", 1),
    }


def test_a_headline_alone_is_a_text_too() -> None:
    analysed = analysed_text("Putin visits Minsk", [])
    assert (analysed.text, analysed.headline_end, analysed.lede_end) == ("Putin visits Minsk", 18, 18)
    assert entities_from_mentions([], analysed, gazetteer=PLACES) == []


# --- what is an entity ----------------------------------------------------------------------------


def test_labels_map_to_types_and_dates_numbers_and_amounts_are_no_entities() -> None:
    body = [
        "Ann Lee of Acme Corp flew from Paris over the Alps to Heathrow Airport with two Danish "
        "friends for the Winter Olympics on Friday, paid $300, 12% more, the third time in 2024."
    ]
    found = entities(
        "Trip",
        body,
        ("Ann Lee", "PERSON"),
        ("Acme Corp", "ORG"),
        ("Paris", "GPE"),
        ("the Alps", "LOC"),
        ("Heathrow Airport", "FAC"),
        ("two", "CARDINAL"),
        ("Danish", "NORP"),
        ("the Winter Olympics", "EVENT"),
        ("Friday", "DATE"),
        ("$300", "MONEY"),
        ("12%", "PERCENT"),
        ("third", "ORDINAL"),
        ("2024", "DATE"),
    )
    assert kinds(found) == {
        "Ann Lee": "person",
        "Acme Corp": "organization",
        "Paris": "place",
        "Alps": "place",
        "Heathrow Airport": "place",
        "Danish": "group",
        "Winter Olympics": "event",
    }


@pytest.mark.parametrize(
    "surface",
    [
        "Date:2025-04-27",
        "2025-04-27",
        "12:18:27",
        "Related",
        "Ranking",
        "Current:Home",
        "https://x.example",
        "1234567",
    ],
)
def test_page_furniture_dates_and_numbers_are_never_names(surface: str) -> None:
    assert normalised_name(surface, "ORG") is None


def test_names_of_the_pages_own_furniture_are_ignored_when_asked() -> None:
    found = entities(
        "Story -AssetBase",
        ["Putin spoke."],
        ("AssetBase", "ORG"),
        ("Putin", "PERSON"),
        ignore_names={"AssetBase"},
    )
    assert set(found) == {"Putin"}


def test_names_are_cleaned_of_articles_possessives_and_quotes() -> None:
    assert normalised_name("the Black Sea", "LOC") == "Black Sea"
    assert normalised_name("Putin\u2019s", "PERSON") == "Putin"
    assert normalised_name("Moscow's", "GPE") == "Moscow"
    assert normalised_name("\u201cAcme\u201d", "ORG") == "Acme"
    assert normalised_name("The Hague", "GPE", PLACES) == "The Hague"  # "The" belongs to that name
    assert normalised_name("Fujian province", "GPE") == "Fujian"
    assert normalised_name("ex-Soviet", "NORP") == "Soviet"
    assert normalised_name("AP", "ORG") == "Associated Press"
    assert normalised_name("the", "ORG") is None  # no capital letter: no name


# --- one entity per canonical name ----------------------------------------------------------------


def test_a_surname_or_first_name_alone_is_the_person_named_in_full() -> None:
    body = [
        "Vladimir Putin met Kim Jong Un and Alexander Lukashenko.",
        "Putin said Kim would visit. Lukashenko agreed. Putin\u2019s aides smiled.",
    ]
    found = entities(
        "Putin hosts Kim",
        body,
        ("Putin", "PERSON"),
        ("Kim", "PERSON"),
        ("Vladimir Putin", "PERSON"),
        ("Kim Jong Un", "PERSON"),
        ("Alexander Lukashenko", "PERSON"),
        ("Putin", "PERSON"),
        ("Kim", "PERSON"),
        ("Lukashenko", "PERSON"),
        ("Putin\u2019s", "PERSON"),
    )
    assert set(found) == {"Vladimir Putin", "Kim Jong Un", "Alexander Lukashenko"}
    assert (found["Vladimir Putin"].mentions, found["Vladimir Putin"].first_offset) == (4, 0)
    assert found["Kim Jong Un"].mentions == 3
    assert found["Alexander Lukashenko"].mentions == 2


def test_a_short_name_fitting_two_people_is_the_one_named_last_before_it() -> None:
    body = ["Kim Jong Un arrived. Kim Yo Jong followed.", "Kim spoke to reporters."]
    found = entities(
        "Visit",
        body,
        ("Kim Jong Un", "PERSON"),
        ("Kim Yo Jong", "PERSON"),
        ("Kim", "PERSON"),
    )
    assert (found["Kim Yo Jong"].mentions, found["Kim Jong Un"].mentions) == (2, 1)


def test_a_surname_the_model_took_for_an_organisation_is_still_the_person() -> None:
    found = entities(
        "Deal",
        ["Belgian minister Sofie Vandaele brokered it.", "Vandaele said it would last."],
        ("Sofie Vandaele", "PERSON"),
        ("Vandaele", "ORG"),
    )
    assert kinds(found) == {"Sofie Vandaele": "person"}
    assert found["Sofie Vandaele"].mentions == 2


def test_groups_in_the_plural_and_compound_groups_join_the_groups_named_alone() -> None:
    found = entities(
        "Ties",
        ["Russian troops and North Korean envoys met Russians.", "Russian-North Korean relations grew."],
        ("Russian", "NORP"),
        ("North Korean", "NORP"),
        ("Russians", "NORP"),
        ("Russian-North Korean", "NORP"),
    )
    assert {name: e.mentions for name, e in found.items()} == {"Russian": 3, "North Korean": 2}


# --- types ----------------------------------------------------------------------------------------


def test_the_type_is_the_majority_of_the_labels() -> None:
    body = ["Belarus joined.", "Belarus and Belarus again, said Belarus."]
    found = entities(
        "T", body, ("Belarus", "GPE"), ("Belarus", "ORG"), ("Belarus", "GPE"), ("Belarus", "GPE")
    )
    assert (found["Belarus"].type, found["Belarus"].mentions) == ("place", 4)


def test_a_tie_goes_to_place_before_organisation() -> None:
    found = entities(
        "T", ["Hartley Vale won. Hartley Vale lost."], ("Hartley Vale", "ORG"), ("Hartley Vale", "LOC")
    )
    assert found["Hartley Vale"].type == "place"


def test_the_gazetteer_makes_countries_and_capitals_taken_for_organisations_places() -> None:
    body = ["Minsk could join Moscow\u2019s efforts, the Kremlin and the Associated Press said."]
    found = entities(
        "T",
        body,
        ("Minsk", "ORG"),
        ("Moscow", "ORG"),
        ("Kremlin", "ORG"),
        ("Associated Press", "ORG"),
    )
    assert kinds(found) == {
        "Minsk": "place",
        "Moscow": "place",
        "Kremlin": "organization",
        "Associated Press": "organization",
    }


def test_another_city_is_a_place_only_where_the_text_puts_something_in_it() -> None:
    club = entities("T", ["Liverpool won again."], ("Liverpool", "ORG"))
    city = entities("T", ["Fans gathered in Liverpool."], ("Liverpool", "ORG"))
    assert (club["Liverpool"].type, city["Liverpool"].type) == ("organization", "place")


def test_a_place_taken_for_a_person_is_a_place_unless_a_title_says_otherwise() -> None:
    found = entities("T", ["Jordan said the talks would go on."], ("Jordan", "PERSON"))
    royal = entities("T", ["Prince George waved."], ("George", "PERSON"))
    assert (found["Jordan"].type, royal["George"].type) == ("place", "person")


def test_the_last_word_of_a_name_can_say_organisation_or_event() -> None:
    found = entities(
        "T",
        ["Altamira Pictures screened it at the Venice Film Festival for Riverside United fans."],
        ("Altamira Pictures", "PERSON"),
        ("the Venice Film Festival", "ORG"),
        ("Riverside United", "PERSON"),
    )
    assert kinds(found) == {
        "Altamira Pictures": "organization",
        "Venice Film Festival": "event",
        "Riverside United": "organization",
    }


# --- spans the model cut or ran on ----------------------------------------------------------------


def test_a_hyphenated_place_the_model_cut_is_extended_to_the_whole_name() -> None:
    found = entities(
        "T",
        ["He flew to Komsomolsk-on-Amur and Guinea-Bissau."],
        ("Komsomolsk", "GPE"),
        ("Amur", "LOC"),
        ("Guinea", "GPE"),
    )
    assert kinds(found) == {"Komsomolsk-on-Amur": "place", "Guinea-Bissau": "place"}
    assert found["Komsomolsk-on-Amur"].mentions == 1


def test_names_joined_by_a_hyphen_or_a_hyphenated_adjective_are_not_extended() -> None:
    found = entities(
        "T",
        ["The Russia-Ukraine war hit a Moscow-based firm."],
        ("Russia", "GPE"),
        ("Ukraine", "GPE"),
        ("Moscow", "GPE"),
    )
    assert set(found) == {"Russia", "Ukraine", "Moscow"}


def test_a_name_run_on_into_the_next_paragraph_is_cut_at_the_break() -> None:
    analysed = analysed_text("Measles across Central Asia", ["Measles cases rose."])
    run_on = Mention(
        "Central Asia\n\nMeasles", "LOC", analysed.text.index("Central"), analysed.text.index(" cases")
    )
    found = entities_from_mentions([run_on], analysed, gazetteer=PLACES)
    assert [(e.name, e.type) for e in found] == [("Central Asia", "place")]


# --- structured facts -----------------------------------------------------------------------------


def test_contributors_their_places_and_agencies_are_entities() -> None:
    contributor = Contributor(name="Yuras Karmanau", role="Associated Press writer", place="Tallinn, Estonia")
    found = entities("Talks", ["Putin spoke."], ("Putin", "PERSON"), contributors=[contributor])
    assert kinds(found) == {
        "Putin": "person",
        "Yuras Karmanau": "person",
        "Tallinn": "place",
        "Estonia": "place",
        "Associated Press": "organization",
    }
    text_length = len("Talks\n\nPutin spoke.")
    assert found["Yuras Karmanau"].first_offset == text_length  # the contributor line follows the body


def test_the_dateline_agency_is_read_from_its_code_and_its_place_joins_the_body_mentions() -> None:
    found = entities(
        "T",
        ["Officials in Grosseto said so."],
        ("Grosseto", "GPE"),
        dateline_place="Grosseto",
        dateline_region="Italy",
        dateline_agency="AFP",
    )
    assert kinds(found) == {"Grosseto": "place", "Italy": "place", "Agence France-Presse": "organization"}
    assert found["Grosseto"].mentions == 2


def test_an_unknown_agency_is_kept_as_written_and_abbreviated_regions_are_left_out() -> None:
    found = entities(
        "T", ["Text."], dateline_place="Pasadena", dateline_region="Calif.", dateline_agency="CNN"
    )
    assert kinds(found) == {"Pasadena": "place", "CNN": "organization"}


def test_article_entities_reads_the_facts_from_the_article() -> None:
    submission = ArticleSubmission(
        headline="Putin meets Lukashenko",
        source={"name": "AssetBase"},
        published_at=datetime(2025, 4, 27, tzinfo=UTC),
        dateline="MOSCOW (AP)",
        body=["Vladimir Putin met Alexander Lukashenko in AssetBase news."],
        contributors=[
            Contributor(name="Yuras Karmanau", role="Associated Press writer", place="Tallinn, Estonia")
        ],
    )
    article = to_raw_article(
        submission,
        received_at=datetime(2025, 4, 27, tzinfo=UTC),
        key_id=None,
        content_type="text/plain",
        original=b"",
    )
    analysed = article_text(article)
    mentions = spans(
        analysed.text,
        ("Putin", "PERSON"),
        ("Lukashenko", "PERSON"),
        ("Vladimir Putin", "PERSON"),
        ("Alexander Lukashenko", "PERSON"),
        ("AssetBase", "ORG"),
    )
    found = {e.name: e.type for e in article_entities(article, analysed, mentions, gazetteer=PLACES)}
    assert found == {
        "Vladimir Putin": "person",
        "Alexander Lukashenko": "person",
        "Moscow": "place",
        "Associated Press": "organization",
        "Yuras Karmanau": "person",
        "Tallinn": "place",
        "Estonia": "place",
    }


# --- salience -------------------------------------------------------------------------------------


def test_salience_weighs_headline_lede_and_body_and_the_top_entity_scores_one() -> None:
    analysed = analysed_text(
        "Putin in Sochi", ["Putin met Kim in Sochi.", "Kim left. Kim flew. Lukashenko stayed."]
    )
    mentions = spans(
        analysed.text,
        ("Putin", "PERSON"),  # headline: 3
        ("Sochi", "GPE"),  # headline: 3
        ("Putin", "PERSON"),  # lede: 2
        ("Kim", "PERSON"),  # lede: 2
        ("Sochi", "GPE"),  # lede: 2
        ("Kim", "PERSON"),  # body: 1
        ("Kim", "PERSON"),  # body: 1
        ("Lukashenko", "PERSON"),  # body: 1
    )
    found = entities_from_mentions(mentions, analysed, gazetteer=PLACES)
    assert [(e.name, e.salience) for e in found] == [
        ("Putin", 1.0),  # 5, mentioned first
        ("Sochi", 1.0),  # 5
        ("Kim", 0.8),  # 4
        ("Lukashenko", 0.2),  # 1
    ]
    assert all(0.0 <= e.salience <= 1.0 for e in found)


def test_salience_is_rounded_to_three_decimals() -> None:
    analysed = analysed_text("Putin", ["Kim."])
    found = entities_from_mentions(
        spans(analysed.text, ("Putin", "PERSON"), ("Kim", "PERSON")), analysed, gazetteer=PLACES
    )
    assert [e.salience for e in found] == [1.0, 0.667]


def test_mentions_inconsistent_with_the_text_are_read_from_the_text() -> None:
    analysed = AnalysedText(text="Putin spoke", headline_end=11, lede_end=11)
    found = entities_from_mentions([Mention("Putin", "PERSON", 0, 5)], analysed, gazetteer=PLACES)
    assert [e.name for e in found] == ["Putin"]


# --- the shipped gazetteer ------------------------------------------------------------------------


def test_the_shipped_gazetteer_knows_countries_capitals_and_cities_but_not_institutions() -> None:
    places = default_gazetteer()
    for name in (
        "Belarus",
        "North Korea",
        "U.S.",
        "Texas",
        "Minsk",
        "Pyongyang",
        "Komsomolsk-on-Amur",
        "Tallinn",
    ):
        assert places.is_place(name), name
    assert "Minsk" in places.capitals
    for name in ("Kremlin", "Associated Press", "Russian Pacific Fleet"):
        assert not places.is_place(name), name
