"""Synthetic but realistic article submissions for the benchmarks.

Every article is built from its index with its own seeded random generator, so
article `i` is the same in every run and on every machine, and no two indices
give the same article id (each carries a distinct `feed_item_id`). Bodies run
from 300 to 1200 words of plain-text paragraphs made from the templates below.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

SOURCES = (
    ("Northgate Wire", "northgate-wire.example"),
    ("Harbour Daily Ledger", "harbourledger.example"),
    ("Meridian Press Service", "meridianpress.example"),
    ("The Upland Courier", "uplandcourier.example"),
    ("Coastline News Agency", "coastline-news.example"),
    ("Valley Evening Post", "valleypost.example"),
)

PLACES = (
    "Lisbon",
    "Accra",
    "Montevideo",
    "Osaka",
    "Tromsø",
    "Windhoek",
    "Tbilisi",
    "Halifax",
    "Cebu",
    "Kraków",
    "Mombasa",
    "Valparaíso",
    "Tallinn",
    "Da Nang",
    "Rosario",
    "Aarhus",
    "Cork",
    "Bergen",
    "Ljubljana",
    "Hobart",
    "Quito",
    "Marrakesh",
    "Kaunas",
    "Winnipeg",
    "Izmir",
    "Chiang Mai",
    "Porto Alegre",
    "Dunedin",
)

FIRST_NAMES = (
    "Amara",
    "Tomasz",
    "Ingrid",
    "Kwame",
    "Lucía",
    "Haruto",
    "Nadia",
    "Oisín",
    "Priya",
    "Mateus",
    "Sigrid",
    "Tendai",
    "Élodie",
    "Rafael",
    "Yusuf",
    "Mei",
    "Anders",
    "Zanele",
    "Giorgi",
    "Marisol",
)

LAST_NAMES = (
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Kowalczyk",
    "Tanaka",
    "Haddad",
    "Ferreira",
    "Mensah",
    "O'Connell",
    "Petrov",
    "Sandoval",
    "Nakamura",
    "Abernethy",
    "Rasmussen",
    "Dlamini",
    "Kapoor",
    "Beridze",
    "Castellanos",
    "Vukovic",
    "Ashworth",
)

ROLES = (
    "the city's deputy mayor",
    "a spokesperson for the port authority",
    "the regional health commissioner",
    "an economist at the national university",
    "the head of the local growers' cooperative",
    "a senior engineer on the project",
    "the opposition's transport critic",
    "a union representative",
    "the chief executive of the utility",
    "a resident who has lived there for three decades",
)

ORGS = (
    "the municipal council",
    "the regional transit board",
    "the national statistics office",
    "the harbour commission",
    "the water utility",
    "the teachers' federation",
    "the chamber of commerce",
    "the environmental protection agency",
    "the central bank",
    "the football association",
)

TOPICS = (
    ("tram line", "transport"),
    ("desalination plant", "environment"),
    ("housing plan", "housing"),
    ("fishing quota", "economy"),
    ("hospital expansion", "health"),
    ("school meals programme", "education"),
    ("wind farm", "energy"),
    ("budget", "politics"),
    ("harbour dredging", "infrastructure"),
    ("stadium renovation", "sport"),
    ("flood barrier", "environment"),
    ("bus fare freeze", "transport"),
)

HEADLINES = (
    "{Place} approves {topic} after months of debate",
    "{Org} delays {topic} in {Place} as costs climb",
    "Residents of {Place} divided over new {topic}",
    "{Person} to lead review of {Place} {topic}",
    "What the {topic} means for {Place}",
    "{Place} {topic} wins backing from {org}",
    "Questions mount over {Place} {topic} contract",
    "{Org} unveils revised {topic} for {Place}",
)

LEADS = (
    "{Org} in {Place} voted {votes} to {against} on {weekday} to press ahead with the {topic}, "
    "ending a dispute that had stalled the work since {month}.",
    "Plans for the {topic} in {Place} were thrown into doubt on {weekday} after {org} said "
    "the bill had risen to {money}, almost {pct} percent above the first estimate.",
    "The long-promised {topic} in {Place} moved a step closer on {weekday}, when {org} "
    "published the details residents had been asking to see since {month}.",
    "{Person}, {role}, said on {weekday} that the {topic} in {Place} would go ahead "
    "whatever the outcome of the review ordered by {org}.",
)

SENTENCES = (
    "{Person}, {role}, said the decision had been taken \u201cwith the whole of {Place} in mind\u201d.",
    "According to figures from {org}, about {count} households would be affected in the first year.",
    "Critics argue that the {topic} has been rushed and that the consultation lasted only {days} days.",
    "The first phase is expected to cost {money} and to be finished by the end of {year}.",
    "{Person} told reporters that the timetable was \u201cambitious but realistic\u201d.",
    "A similar scheme in {Place2} took {years} years longer than planned and went {pct} percent over budget.",
    "Supporters say the {topic} will create roughly {count} jobs during construction.",
    "{Org} has promised to publish monthly progress reports on its website.",
    "Opposition members called for an independent audit before any contract is signed.",
    "At a packed public meeting on {weekday}, several speakers raised concerns about noise and traffic.",
    "{Person}, who chairs the committee, said the questions would be answered in writing.",
    "The project is partly financed by a loan of {money} that must be repaid over {years} decades.",
    "Shop owners near the site said trade had already fallen by as much as {pct} percent.",
    "Engineers surveyed the area in {month} and found the ground more stable than feared.",
    "{Person} said the lessons of {Place2} had been studied closely.",
    "A petition against the plan has gathered more than {count} signatures.",
    "Officials said the work would be carried out at night where possible to limit disruption.",
    "The national government is expected to decide on additional funding before {month}.",
    "Turnout at the consultation events was higher than at any since {year2}, officials said.",
    "{Org} declined to comment on the details of the tender.",
)

CLOSERS = (
    "{Org} is due to meet again on {weekday} {day} {month}.",
    "A final decision on the second phase is expected in {year}.",
    "{Person} said further details would be released in the coming weeks.",
    "The council's full report runs to {count} pages and is available at the town hall in {Place}.",
)

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
OFFSETS_H = (-8, -5, -3, 0, 0, 1, 2, 3, 5.5, 8, 9, 10)
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


class _Slots(dict[str, str]):
    """Template values; each lookup of a person, place or number draws a fresh one."""

    def __init__(self, rng: random.Random, place: str, topic: str, person: str) -> None:
        super().__init__()
        self.rng = rng
        self.place = place
        self.topic = topic
        self.person = person

    def __missing__(self, key: str) -> str:
        rng = self.rng
        value: str
        if key in ("Place", "place"):
            value = self.place
        elif key == "Place2":
            value = rng.choice([p for p in PLACES if p != self.place])
        elif key == "topic":
            value = self.topic
        elif key in ("Person", "person"):
            # Mostly the story's main figure, sometimes someone new.
            value = self.person if rng.random() < 0.6 else _person(rng)
        elif key in ("Org", "org"):
            org = rng.choice(ORGS)
            value = org[0].upper() + org[1:] if key == "Org" else org
        elif key == "role":
            value = rng.choice(ROLES)
        elif key == "votes":
            value = str(rng.randint(7, 21))
        elif key == "against":
            value = str(rng.randint(1, 6))
        elif key == "weekday":
            value = rng.choice(WEEKDAYS)
        elif key == "month":
            value = rng.choice(MONTHS)
        elif key == "money":
            value = f"{rng.randint(2, 950)} million euros"
        elif key == "pct":
            value = str(rng.randint(3, 60))
        elif key == "count":
            value = f"{rng.randint(120, 48000):,}"
        elif key in ("days", "day"):
            value = str(rng.randint(1, 28))
        elif key == "years":
            value = str(rng.randint(2, 6))
        elif key == "year":
            value = str(rng.randint(2026, 2031))
        elif key == "year2":
            value = str(rng.randint(1994, 2019))
        else:
            raise KeyError(key)
        return value


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _fill(template: str, slots: _Slots) -> str:
    return template.format_map(slots)


def _capitalise(text: str) -> str:
    return text[0].upper() + text[1:]


def submission(index: int, *, seed: int = 1) -> dict[str, Any]:
    """Article number `index` as a submission object (the JSON a client would POST)."""
    rng = random.Random(seed * 1_000_003 + index)
    source, domain = rng.choice(SOURCES)
    place = rng.choice(PLACES)
    topic, section = rng.choice(TOPICS)
    person = _person(rng)
    slots = _Slots(rng, place, topic, person)
    headline = _capitalise(_fill(rng.choice(HEADLINES), slots))

    target_words = rng.randint(320, 1170)  # the last sentence may run past the target
    paragraphs = [_fill(rng.choice(LEADS), slots)]
    words = len(paragraphs[0].split())
    closer = _fill(rng.choice(CLOSERS), slots)
    budget = target_words - len(closer.split())
    while words < budget:
        sentences = []
        for _ in range(rng.randint(2, 4)):
            sentence = _fill(rng.choice(SENTENCES), slots)
            sentences.append(sentence)
            words += len(sentence.split())
            if words >= budget:
                break
        paragraphs.append(" ".join(sentences))
    paragraphs.append(closer)

    offset = timedelta(hours=rng.choice(OFFSETS_H))
    published = (EPOCH + timedelta(seconds=rng.randint(0, 300 * 86400))).astimezone(timezone(offset))
    slug = "-".join(headline.lower().replace("'", "").split()[:8])
    return {
        "headline": headline,
        "source": {"name": source, "url": f"https://{domain}/"},
        "canonical_url": f"https://{domain}/news/{section}/{slug}-{index}",
        "feed_item_id": f"bench-{seed}-{index:08d}",
        "bylines": [{"name": person if rng.random() < 0.3 else _person(rng), "role": "writer"}],
        "dateline": f"{place.upper()} ({source})",
        "published_at": published.isoformat(),
        "language": "en",
        "section": ["News", section.capitalize()],
        "tags": sorted({section, place.lower(), topic}),
        "body": paragraphs,
    }


def submission_bytes(index: int, *, seed: int = 1) -> bytes:
    """The submission as compact UTF-8 JSON on one line (valid as a JSON body and as an NDJSON line)."""
    return json.dumps(submission(index, seed=seed), ensure_ascii=False, separators=(",", ":")).encode()


def word_count(article: dict[str, Any]) -> int:
    return sum(len(p.split()) for p in article["body"])
