import pytest

from services.text.contributors import parse_contributor_line
from services.text.dateline import split_dateline, title_place


@pytest.mark.parametrize(
    ("paragraph", "raw", "place", "region", "agency", "rest"),
    [
        (
            "MOSCOW (AP) — Russian President spoke.",
            "MOSCOW (AP)",
            "Moscow",
            None,
            "AP",
            "Russian President spoke.",
        ),
        ("GROSSETO, Italy (AP) -- A fire.", "GROSSETO, Italy (AP)", "Grosseto", "Italy", "AP", "A fire."),
        (
            "WASHINGTON (Reuters) - The Senate voted.",
            "WASHINGTON (Reuters)",
            "Washington",
            None,
            "Reuters",
            "The Senate voted.",
        ),
        ("CUENCA: Las lluvias siguen.", "CUENCA", "Cuenca", None, None, "Las lluvias siguen."),
        ("NEW YORK (AP) \u2013 Stocks rose.", "NEW YORK (AP)", "New York", None, "AP", "Stocks rose."),
        (
            "ST. PETERSBURG, Fla. (AP) \u2014 Rain.",
            "ST. PETERSBURG, Fla. (AP)",
            "St. Petersburg",
            "Fla.",
            "AP",
            "Rain.",
        ),
        (
            "RIO DE JANEIRO (AP) \u2014 Carnival.",
            "RIO DE JANEIRO (AP)",
            "Rio de Janeiro",
            None,
            "AP",
            "Carnival.",
        ),
    ],
)
def test_dateline_forms(
    paragraph: str, raw: str, place: str, region: str | None, agency: str | None, rest: str
) -> None:
    parts, remainder = split_dateline(paragraph)
    assert parts is not None
    assert (parts.raw, parts.place, parts.region, parts.agency, remainder) == (
        raw,
        place,
        region,
        agency,
        rest,
    )


@pytest.mark.parametrize(
    "paragraph",
    [
        "The U.S. and its allies believe it.",
        "I said: yes.",
        "AI - the next step",
        "NATO said on Monday.",
        "U.N. - x",
    ],
)
def test_sentences_are_not_datelines(paragraph: str) -> None:
    assert split_dateline(paragraph) == (None, paragraph)


def test_place_names_are_title_cased_with_particles_kept_low() -> None:
    assert title_place("KOMSOMOLSK-ON-AMUR") == "Komsomolsk-on-Amur"
    assert title_place("VLADIVOSTOK") == "Vladivostok"


def test_contributor_lines() -> None:
    (one,) = parse_contributor_line(
        "Associated Press writer Yuras Karmanau in Tallinn, Estonia, contributed."
    )
    assert (one.name, one.role, one.place) == (
        "Yuras Karmanau",
        "Associated Press writer",
        "Tallinn, Estonia",
    )
    two = parse_contributor_line(
        "Associated Press writers Jane Doe in Kyiv, Ukraine, and John Roe in Berlin "
        "contributed to this report."
    )
    assert [(c.name, c.place) for c in two] == [("Jane Doe", "Kyiv, Ukraine"), ("John Roe", "Berlin")]
    assert parse_contributor_line("Reuters reporter Ana Lima contributed.")[0].place is None
    assert parse_contributor_line("Putin said he contributed.") == []


def test_a_dateline_given_alone_as_a_field() -> None:
    from services.text.dateline import parse_dateline

    parts = parse_dateline("GROSSETO, Italy (AP)")
    assert parts is not None
    assert (parts.place, parts.place_raw, parts.agency) == ("Grosseto", "GROSSETO, Italy", "AP")
    assert parse_dateline("MOSCOW (AP) \u2014") is not None
    assert parse_dateline("Breaking news from everywhere") is None
