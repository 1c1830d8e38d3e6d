"""Datelines are cut off the lede, so a false match costs words of the story: both directions matter."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.text.dateline import DatelineParts, parse_dateline, split_dateline, title_place


@pytest.mark.parametrize(
    ("paragraph", "expected", "rest"),
    [
        (
            "MOSCOW (AP) \u2014 The council met.",
            DatelineParts("MOSCOW (AP)", "MOSCOW", "Moscow", None, "AP"),
            "The council met.",
        ),
        (
            "GROSSETO, Italy (AP) -- A fire spread.",
            DatelineParts("GROSSETO, Italy (AP)", "GROSSETO, Italy", "Grosseto", "Italy", "AP"),
            "A fire spread.",
        ),
        (
            "WASHINGTON (Reuters) - The Senate voted.",
            DatelineParts("WASHINGTON (Reuters)", "WASHINGTON", "Washington", None, "Reuters"),
            "The Senate voted.",
        ),
        (
            "CUENCA: Las lluvias siguen.",
            DatelineParts("CUENCA", "CUENCA", "Cuenca", None, None),
            "Las lluvias siguen.",
        ),
        (
            "NEW YORK (AP) \u2013 Stocks rose.",
            DatelineParts("NEW YORK (AP)", "NEW YORK", "New York", None, "AP"),
            "Stocks rose.",
        ),
        (
            "ST. PETERSBURG, Fla. (AP) \u2014 Rain fell.",
            DatelineParts(
                "ST. PETERSBURG, Fla. (AP)", "ST. PETERSBURG, Fla.", "St. Petersburg", "Fla.", "AP"
            ),
            "Rain fell.",
        ),
        (
            "RIO DE JANEIRO (AP) \u2014 Carnival began.",
            DatelineParts("RIO DE JANEIRO (AP)", "RIO DE JANEIRO", "Rio de Janeiro", None, "AP"),
            "Carnival began.",
        ),
        (
            "KOMSOMOLSK-ON-AMUR, Russia (AP) \u2014 Jets flew.",
            DatelineParts(
                "KOMSOMOLSK-ON-AMUR, Russia (AP)",
                "KOMSOMOLSK-ON-AMUR, Russia",
                "Komsomolsk-on-Amur",
                "Russia",
                "AP",
            ),
            "Jets flew.",
        ),
        (
            "SARAJEVO, Bosnia and Herzegovina (AP) \u2014 Talks resumed.",
            DatelineParts(
                "SARAJEVO, Bosnia and Herzegovina (AP)",
                "SARAJEVO, Bosnia and Herzegovina",
                "Sarajevo",
                "Bosnia and Herzegovina",
                "AP",
            ),
            "Talks resumed.",
        ),
        (
            "LONDON, March 3 (Reuters) - Shares fell.",
            DatelineParts("LONDON, March 3 (Reuters)", "LONDON", "London", None, "Reuters"),
            "Shares fell.",
        ),
        (
            "S\u00c3O PAULO (AP)\u2014Traffic stalled.",
            DatelineParts("S\u00c3O PAULO (AP)", "S\u00c3O PAULO", "S\u00e3o Paulo", None, "AP"),
            "Traffic stalled.",
        ),
    ],
)
def test_dateline_forms(paragraph: str, expected: DatelineParts, rest: str) -> None:
    assert split_dateline(paragraph) == (expected, rest)


@pytest.mark.parametrize(
    "paragraph",
    [
        "The U.S. and its allies believe that the plan will hold.",
        "I said: yes.",
        "AI - the next step",
        "NATO said on Monday that it would send more ships.",
        "NATO: allies agree on a budget.",
        "UPDATE: The road has reopened.",
        "BREAKING \u2014 a late result",
        "U.N. - a resolution passed",
        "Moscow is cold in March.",
        "Putin - who spoke first - said little.",
        "MOSCOW-based analysts disagreed.",
        "\u201cWe never said that,\u201d he told reporters.",
        "",
    ],
)
def test_sentences_are_not_datelines(paragraph: str) -> None:
    assert split_dateline(paragraph) == (None, paragraph)


@pytest.mark.parametrize(
    ("written", "place"),
    [
        ("KOMSOMOLSK-ON-AMUR", "Komsomolsk-on-Amur"),
        ("RIO DE JANEIRO", "Rio de Janeiro"),
        ("PORT-AU-PRINCE", "Port-au-Prince"),
        ("DAR ES SALAAM", "Dar es Salaam"),
        ("LA PAZ", "La Paz"),
        ("ST. PETERSBURG", "St. Petersburg"),
        ("MCALLEN", "McAllen"),
        ("O'FALLON", "O'Fallon"),
        ("XI'AN", "Xi'an"),
        ("VLADIVOSTOK", "Vladivostok"),
    ],
)
def test_places_are_title_cased_the_usual_way(written: str, place: str) -> None:
    assert title_place(written) == place


def test_a_dateline_given_alone_as_a_field() -> None:
    parts = parse_dateline("GROSSETO, Italy (AP)")
    assert parts == DatelineParts("GROSSETO, Italy (AP)", "GROSSETO, Italy", "Grosseto", "Italy", "AP")
    assert parse_dateline("  MOSCOW (AP) \u2014 ") == DatelineParts(
        "MOSCOW (AP)", "MOSCOW", "Moscow", None, "AP"
    )
    assert parse_dateline("CUENCA:") == DatelineParts("CUENCA", "CUENCA", "Cuenca", None, None)
    assert parse_dateline("Breaking news from everywhere") is None
    assert parse_dateline("NATO") is None


def test_a_dateline_alone_in_its_paragraph_leaves_nothing() -> None:
    parts, rest = split_dateline("MOSCOW (AP) \u2014")
    assert parts is not None
    assert parts.raw == "MOSCOW (AP)"
    assert rest == ""


@settings(max_examples=300, deadline=None)
@given(
    paragraph=st.one_of(
        st.text(max_size=80),
        st.builds(
            "".join,
            st.lists(
                st.sampled_from(["MOSCOW", "NEW", " ", ",", "Italy", "(AP)", "\u2014", "-", ":", "x", "."]),
                max_size=10,
            ),
        ),
    )
)
def test_split_never_invents_text(paragraph: str) -> None:
    """Whatever comes in, the dateline is a prefix and the rest is the paragraph's own tail."""
    parts, rest = split_dateline(paragraph)
    if parts is None:
        assert rest == paragraph
    else:
        assert paragraph.startswith(parts.raw)
        assert paragraph.endswith(rest)
        assert len(parts.raw) + len(rest) < len(paragraph)
