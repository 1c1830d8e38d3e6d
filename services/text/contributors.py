"""Contributor lines at the foot of wire stories.

`Associated Press writer Yuras Karmanau in Tallinn, Estonia, contributed.`
`Associated Press writers Jane Doe in Kyiv, Ukraine, and John Roe in Berlin contributed to this report.`
`Associated Press writers A in Tallinn, Estonia; B in Kyiv, Ukraine; and C contributed.`
`Reuters reporter Ana Lima contributed.`

A line is read only when it has the whole shape (agency, role, people, "contributed"),
so a body sentence that merely mentions contributing is never mistaken for one.
"""

from __future__ import annotations

import re

from pydantic import ValidationError

from schemas.article import Contributor

_ROLE_NOUNS = (
    "writer|reporter|correspondent|photographer|photojournalist|journalist|videographer|researcher|"
    "producer|editor"
)
_LINE = re.compile(
    r"^(?P<role>(?:[A-Z][\w.&'\u2019-]*\s+){1,4}?(?:[a-z]+\s+){0,2}?(?:" + _ROLE_NOUNS + r"))s?\s+"
    r"(?P<people>.+?),?\s+(?:also\s+)?contributed"
    r"(?:\s+(?:reporting|to\s+this\s+(?:report|story|article)))?\.?$"
)
# Between people: ", and", ", " or " and"; which of them separate people is decided below.
_SEPARATOR = re.compile(r"(,\s+and\s+|,\s+|\s+and\s+)")
_NAME_PARTICLES = {"de", "da", "do", "dos", "das", "del", "della", "di", "du", "van", "von", "der", "den"}
_NAME_PARTICLES |= {"la", "le", "bin", "ibn", "al", "el", "ter", "y"}
_MAX_FIELD = 200  # Contributor.role and .place


def parse_contributor_line(line: str) -> list[Contributor]:
    """Everyone a contributor line names, with the role and the place they reported from.

    Returns [] for a line that is not a contributor line, or one whose people cannot all
    be read: a half-read line would credit the wrong names.
    """
    match = _LINE.match(" ".join(line.split()))
    if not match:
        return []
    role = match.group("role")
    people = _people(match.group("people"))
    if not people or len(role) > _MAX_FIELD:
        return []
    try:
        return [Contributor(name=name, role=role, place=place) for name, place in people]
    except ValidationError:
        return []


def _people(text: str) -> list[tuple[str, str | None]]:
    """`Jane Doe in Kyiv, Ukraine, and John Roe in Berlin` -> names with places.

    Semicolons separate people when their places hold commas. Otherwise a comma
    followed by a segment without " in " continues the place before it (`Kyiv, Ukraine`),
    while "and" always starts a new person.
    """
    if ";" in text:
        chunks = [re.sub(r"^and\s+", "", chunk.strip()) for chunk in text.split(";")]
        return _checked([_name_and_place(chunk) for chunk in chunks])
    pieces = _SEPARATOR.split(text)
    people = [_name_and_place(pieces[0])]
    for separator, segment in zip(pieces[1::2], pieces[2::2], strict=True):
        name, place = people[-1]
        if "and" not in separator and place is not None and " in " not in segment:
            people[-1] = (name, f"{place}, {segment}")
        else:
            people.append(_name_and_place(segment))
    return _checked(people)


def _name_and_place(segment: str) -> tuple[str, str | None]:
    name, found, place = segment.partition(" in ")
    return name, place if found else None


def _checked(people: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    cleaned = []
    for name, place in people:
        name = name.strip(" ,")
        place = place.strip(" ,") if place is not None else None
        if not _looks_like_name(name) or (place is not None and not _looks_like_place(place)):
            return []
        cleaned.append((name, place))
    return cleaned


def _looks_like_name(name: str) -> bool:
    words = name.split()
    if not 1 <= len(words) <= 6 or not words[0][0].isupper() or any(c.isdigit() for c in name):
        return False
    return all(word[0].isupper() or word.lower() in _NAME_PARTICLES for word in words)


def _looks_like_place(place: str) -> bool:
    return 0 < len(place) <= _MAX_FIELD and place[0].isupper() and not any(c.isdigit() for c in place)


_BY = re.compile(r"^(?:by|von|por|par)\s+(?P<names>\S.{0,200})$", re.IGNORECASE)
_BY_SPLIT = re.compile(r"\s+(?:and|und|e|y|et|&)\s+|\s*[;,]\s*(?:and\s+)?", re.IGNORECASE)
_MAX_BYLINE_WORDS = 16


def byline_names(line: str) -> list[str]:
    """`By Ana Lima and Tom Reyes` -> ["Ana Lima", "Tom Reyes"]; [] unless every part is a name.

    A sentence that opens with "By" ("By the time rescuers arrived, ...") names nobody: its
    words are not capitalised, so it is not read as a byline.
    """
    found = _BY.match(" ".join(line.split()))
    if found is None or len(line.split()) > _MAX_BYLINE_WORDS:
        return []
    names = [part.strip(" .") for part in _BY_SPLIT.split(found.group("names")) if part.strip(" .")]
    return names if names and all(_looks_like_name(name) for name in names) else []
