"""Contributor lines: every person credited, with role and place, and nothing read from ordinary sentences."""

import pytest

from schemas.article import Contributor
from services.text.contributors import parse_contributor_line


def people(line: str) -> list[tuple[str, str | None, str | None]]:
    return [(c.name, c.role, c.place) for c in parse_contributor_line(line)]


def test_one_writer_with_a_place_holding_a_comma() -> None:
    assert parse_contributor_line(
        "Associated Press writer Yuras Karmanau in Tallinn, Estonia, contributed."
    ) == [Contributor(name="Yuras Karmanau", role="Associated Press writer", place="Tallinn, Estonia")]


def test_two_writers_joined_by_and() -> None:
    line = (
        "Associated Press writers Jane Doe in Kyiv, Ukraine, and John Roe in Berlin "
        "contributed to this report."
    )
    assert people(line) == [
        ("Jane Doe", "Associated Press writer", "Kyiv, Ukraine"),
        ("John Roe", "Associated Press writer", "Berlin"),
    ]


def test_a_reporter_without_a_place() -> None:
    assert people("Reuters reporter Ana Lima contributed.") == [("Ana Lima", "Reuters reporter", None)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Associated Press writers Lena Park in Seoul, South Korea; Omar Haddad in Amman, Jordan; "
            "and Pia Berg contributed.",
            [("Lena Park", "Seoul, South Korea"), ("Omar Haddad", "Amman, Jordan"), ("Pia Berg", None)],
        ),
        (
            "AP writers Ann Poe, Bo Li and Cy Dunn contributed.",
            [("Ann Poe", None), ("Bo Li", None), ("Cy Dunn", None)],
        ),
        (
            "Associated Press writers Ann Poe in Seoul, South Korea, and Bo Li contributed to this story.",
            [("Ann Poe", "Seoul, South Korea"), ("Bo Li", None)],
        ),
        (
            "Associated Press writer Jos\u00e9 N\u00fa\u00f1ez in Bogot\u00e1, Colombia, also contributed.",
            [("Jos\u00e9 N\u00fa\u00f1ez", "Bogot\u00e1, Colombia")],
        ),
        ("Associated Press writer Ana de la Cruz in Quito contributed.", [("Ana de la Cruz", "Quito")]),
    ],
)
def test_lists_of_people(line: str, expected: list[tuple[str, str | None]]) -> None:
    assert [(c.name, c.place) for c in parse_contributor_line(line)] == expected


def test_the_role_keeps_its_qualifier_and_is_singular() -> None:
    assert people("Associated Press video journalists Nebi Qena and Ivo Sar contributed.") == [
        ("Nebi Qena", "Associated Press video journalist", None),
        ("Ivo Sar", "Associated Press video journalist", None),
    ]
    assert people("Associated Press photographer Kim Lund in Oslo contributed.")[0][1] == (
        "Associated Press photographer"
    )


@pytest.mark.parametrize(
    "line",
    [
        "",
        "Putin said he contributed.",
        "The company contributed $5 million to the fund.",
        "Associated Press writer contributed.",
        "Associated Press writer jane doe contributed.",
        "Associated Press writers Jane Doe in 2024 contributed.",
        "veryGood! (639)",
        "Related",
        "Copyright 2025 The Associated Press. All rights reserved.",
    ],
)
def test_other_lines_credit_nobody(line: str) -> None:
    assert parse_contributor_line(line) == []
