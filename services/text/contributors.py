"""Contributor lines at the foot of wire stories.

`Associated Press writer Yuras Karmanau in Tallinn, Estonia, contributed.`
`Associated Press writers Jane Doe in Kyiv, Ukraine, and John Roe in Berlin contributed to this report.`
"""

from __future__ import annotations

import re

from schemas.article import Contributor

_LINE = re.compile(
    r"^(?P<role>(?:[A-Z][\w.&'-]*\s+){1,4}?(?:writer|reporter|correspondent|photographer|journalist)s?)\s+"
    r"(?P<people>.+?),?\s+contributed(?: to this (?:report|story))?\.?$"
)
_PERSON = re.compile(r"^(?P<name>[A-Z][\w.'-]*(?: [A-Z][\w.'-]*){0,4})(?: in (?P<place>.+))?$")


def parse_contributor_line(line: str) -> list[Contributor]:
    match = _LINE.match(line.strip())
    if not match:
        return []
    role = match.group("role")
    role = role[:-1] if role.endswith("s") else role
    people = re.split(r",? and |; ", match.group("people"))
    contributors = []
    for person in people:
        found = _PERSON.match(person.strip().rstrip(","))
        if not found:
            return []
        place = found.group("place")
        contributors.append(
            Contributor(name=found.group("name"), role=role, place=place.rstrip(",") if place else None)
        )
    return contributors
