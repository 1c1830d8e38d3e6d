"""What the format parsers' tests share: goldens, hostile XML and document mutations.

Regenerate the goldens after a deliberate mapping change with
`XML_FORMATS_REGENERATE=1 .venv/bin/python -m pytest tests/unit/test_parser_contract.py`, then read the diff.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from lxml import etree

from schemas.article import ArticleSubmission
from services.ingest.formats.errors import FormatError
from services.ingest.formats.items import ParsedItem, Skipped, Withdrawal

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE nitf [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<nitf><head><title>&lol9;</title><docdata><date.issue norm="20250101"/></docdata></head>
<body><body.content><p>&lol9;</p></body.content></body></nitf>
"""

XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nitf [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<nitf><head><title>Leak</title><docdata><date.issue norm="20250101"/></docdata></head>
<body><body.content><p>&secret;</p></body.content></body></nitf>
"""


def as_json(item: ParsedItem) -> dict[str, Any]:
    """One entry as a golden file holds it: the article dump, or a tagged withdrawal or error."""
    if isinstance(item, ArticleSubmission):
        said = [w.model_dump() for w in item.warnings]
        return {**item.model_dump(mode="json"), **({"ingest_warnings": said} if said else {})}
    if isinstance(item, Withdrawal):
        fields = dataclasses.asdict(item)
        fields["published_at"] = item.published_at.isoformat() if item.published_at else None
        return {"withdrawal": fields}
    if isinstance(item, Skipped):
        return {"skipped": {"reason": item.reason, "location": item.location}}
    return {"error": {"message": item.message, "location": item.location}}


def check_golden(got: list[ParsedItem], golden: Path) -> None:
    entries = [as_json(item) for item in got]
    if os.environ.get("XML_FORMATS_REGENERATE"):
        golden.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert entries == json.loads(golden.read_text(encoding="utf-8"))


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
Mutation = Callable[[bytes], bytes]


@st.composite
def mutations(draw: st.DrawFn) -> Mutation:
    """One random damage to a document: truncation, a deleted element, new text or inserted bytes."""
    kind = draw(st.sampled_from(["truncate", "delete", "retext", "insert"]))
    position = draw(st.floats(min_value=0, max_value=1))
    noise = draw(st.binary(min_size=1, max_size=20) if kind == "insert" else _XML_TEXT)

    def mutate(data: bytes) -> bytes:
        at = int(position * len(data))
        if kind == "truncate":
            return data[:at]
        if kind == "insert":
            assert isinstance(noise, bytes)
            return data[:at] + noise + data[at:]
        try:
            root = etree.fromstring(data, _PARSER)
        except etree.XMLSyntaxError:
            return data
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        target = elements[int(position * (len(elements) - 1))]
        parent = target.getparent()
        if kind == "delete" and parent is not None:
            parent.remove(target)
        elif kind == "retext":
            target.text = str(noise)
        return bytes(etree.tostring(root))

    return mutate


def fuzz(parse: Callable[[bytes], list[ParsedItem]], document: bytes, damage: list[Mutation]) -> None:
    for mutate in damage:
        document = mutate(document)
    try:
        items = parse(document)
    except FormatError:
        return
    assert isinstance(items, list)
    for item in items:
        assert isinstance(item, ArticleSubmission | Withdrawal | Skipped | FormatError)


# A page in the seed's text layout, written for the tests (the seed itself stays in ../shared).
CRANES = """\
Current:Home > Science > NatureVolunteers count a record flock of cranes at the lagoon -Valley Ledger
Volunteers count a record flock of cranes at the lagoon
View
Date:2025-11-02 07:45:10
GROSSETO, Italy (AP) -- Volunteers counted more than 4,000 common cranes resting at the lagoon on Saturday.
The birds stop over on their way south, and a mild autumn kept them longer than usual, the coordinator said.
\u201cWe ran out of tally sheets before noon,\u201d one volunteer said.
Farmers have been asked to leave stubble in harvested fields until December.
___
Associated Press writers Marta Bellini in Grosseto, Italy, and Tom Reyes in Rome contributed to this report.
veryGood! (1,204)
Related
- Storks return early to northern nesting towers
- A quiet year for the lagoon's flamingos
Ranking
- Volunteers count a record flock of cranes at the lagoon
- Ferry timetable changes for the winter
Recommendation
Why cranes fly in V formations
Wetland restoration reaches its second phase
"""
CRANES_LINES = CRANES.splitlines()


def cranes(*, drop: tuple[int, ...] = (), replace: dict[int, str] | None = None) -> str:
    """CRANES with lines (1-based) dropped or replaced."""
    replace = replace or {}
    kept = [replace.get(n, line) for n, line in enumerate(CRANES_LINES, start=1) if n not in drop]
    return "\n".join(kept) + "\n"
