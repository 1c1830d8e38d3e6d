"""Plain-text articles (no `Date:` line): invented pages with golden outputs, and the real corpus.

The corpus (../shared/corpus, real news texts that belong to their publishers) is read at
test time, never copied here. Its README says what the headline of each text is: the first
line when the stored page has one; none otherwise. For the texts with one, the table below
names the line (by its number among the non-empty lines) that a reader sees as the headline;
it holds no text of theirs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.article import ArticleSubmission
from services.ingest.formats.errors import FormatError
from services.ingest.formats.registry import parse_raw
from services.ingest.formats.text_page import parse_text_page
from services.ingest.intake import to_raw_article
from tests.formats_support import CRANES, cranes

SHARED = Path(__file__).resolve().parents[3] / "shared"
CORPUS = SHARED / "corpus" / "articles.jsonl"
RECEIVED = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

# Invented, as a desk saves a story: headline, blank line, paragraphs; no date anywhere.
DESK = """\
Lock keepers' cottage reopens on the towpath

ALDERFORD, England (WS) \u2014 The lock keepers' cottage on the Alder canal reopened on Saturday
after two years of repairs, the canal trust said.

Volunteers repainted the shutters in the cottage's original green and rebuilt the chimney
stack from reclaimed brick.

"We found the old tally boards under the floor," said one of them.

Wirestream Samples writer Nell Ashby in Alderford contributed.
"""
# Invented, as a scraper saves a content-farm page: one paragraph per line, a section label
# and a contact bar before the headline, ad markers inside, link lists and a comment form after.
FARM = """\
WorldNews
Contact Us
We Are Open 24/7. Call Us.
Ferry crews end strike as talks resume in Piraeus
ADVERTISEMENT
A 48-hour strike by ferry crews ended on Saturday morning, the seamen's union said.
Talks with operators over pay and staffing rules resume on Monday.
COMMERCIAL BREAK
Queues at ticket offices in Piraeus and Rafina had cleared by noon.
Related Articles
Heatwave closes the Acropolis in the afternoon
Leave a Reply
Your email address will not be published.
"""


def codes(article: ArticleSubmission) -> list[str]:
    return [warning.code for warning in article.warnings]


def article_of(text: str, **kwargs: Any) -> ArticleSubmission:
    (item,) = parse_raw(text.encode("utf-8"), "text/plain; charset=utf-8", **kwargs)
    assert isinstance(item, ArticleSubmission), item
    return item


# --- invented pages: golden outputs ----------------------------------------------------------------


def test_a_desk_story_without_a_date() -> None:
    page = article_of(DESK)
    assert page.model_dump(mode="json", exclude={"body_html"}) == {
        "headline": "Lock keepers' cottage reopens on the towpath",
        "subheadline": None,
        "source": {"name": "WS", "feed": None, "url": None},
        "canonical_url": None,
        "bylines": [],
        "contributors": [
            {"name": "Nell Ashby", "role": "Wirestream Samples writer", "place": "Alderford"},
        ],
        "dateline": "ALDERFORD, England (WS)",
        "published_at": None,
        "updated_at": None,
        "language": None,
        "body": [
            "The lock keepers' cottage on the Alder canal reopened on Saturday "
            "after two years of repairs, the canal trust said.",
            "Volunteers repainted the shutters in the cottage's original green and rebuilt the chimney "
            "stack from reclaimed brick.",
            '"We found the old tally boards under the floor," said one of them.',
        ],
        "section": [],
        "tags": [],
        "reactions": {},
        "sidebars": [],
        "revision": 1,
        "feed_item_id": None,
    }
    assert [(w.code, w.message) for w in page.warnings] == [
        ("body-lines-joined", "2 line breaks inside sentences joined")
    ]


def test_no_date_becomes_the_time_received_and_is_said_once() -> None:
    raw = to_raw_article(
        article_of(DESK), received_at=RECEIVED, key_id=None, content_type="text/plain", original=b""
    )
    assert (raw.published_at, raw.published_at_source) == (RECEIVED, "received")
    assert [w.code for w in raw.ingest_warnings] == ["body-lines-joined", "published-at-missing"]


def test_one_paragraph_per_line_labels_before_the_headline_and_furniture() -> None:
    page = article_of(FARM)
    assert page.headline == "Ferry crews end strike as talks resume in Piraeus"
    assert page.body == [
        "A 48-hour strike by ferry crews ended on Saturday morning, the seamen's union said.",
        "Talks with operators over pay and staffing rules resume on Monday.",
        "Queues at ticket offices in Piraeus and Rafina had cleared by noon.",
    ]
    assert (page.source.name, page.published_at, page.warnings) == ("unknown", None, [])


def test_a_text_without_a_headline_takes_its_lede_s_first_sentence() -> None:
    text = (
        "Harbour pilots warned on Tuesday that the new breakwater narrows the channel. "
        "The port authority said it would review the plans.\n\n"
        "Work on the breakwater began in March."
    )
    page = article_of(text)
    assert page.headline == "Harbour pilots warned on Tuesday that the new breakwater narrows the channel"
    assert page.body[0].startswith("Harbour pilots warned")  # the lede stays whole in the body
    assert len(page.body) == 2
    assert [(w.code, w.field) for w in page.warnings] == [("headline-missing", "headline")]


def test_a_dateline_lede_is_no_headline() -> None:
    page = article_of("PIRAEUS, Greece (WS) \u2014 Crews struck.\n\nShips stayed in port.")
    assert (page.headline, page.dateline, page.body) == (
        "Crews struck",
        "PIRAEUS, Greece (WS)",
        ["Crews struck.", "Ships stayed in port."],
    )


def test_a_title_line_with_the_site_a_date_line_and_a_byline() -> None:
    text = (
        "Night trains return to the mountain line | Valley Ledger\n\n"
        "Night trains return to the mountain line\n\n"
        "valleyledger.example| 2025-12-14 21:10:00|\n\n"
        "By Lea Gruber and Tom Reyes\n\n"
        "Sleeper trains returned to the mountain line on Sunday after a two-year break."
    )
    page = article_of(text, source_timezone="Europe/Vienna")
    assert (page.headline, page.source.name) == ("Night trains return to the mountain line", "Valley Ledger")
    assert page.published_at is not None
    assert page.published_at.isoformat() == "2025-12-14T21:10:00+01:00"
    assert page.published_at_source == "text"
    assert [b.name for b in page.bylines] == ["Lea Gruber", "Tom Reyes"]
    assert page.body == ["Sleeper trains returned to the mountain line on Sunday after a two-year break."]
    assert [(w.code, w.message) for w in page.warnings] == [
        ("date-from-text", "line 5: read from 'valleyledger.example| 2025-12-14 21:10:00|'")
    ]


def test_a_sentence_opening_with_by_is_no_byline() -> None:
    page = article_of(
        "Rescue ends at the quarry\n\nBy the time rescuers arrived, the walkers had climbed out."
    )
    assert page.bylines == []
    assert page.body == ["By the time rescuers arrived, the walkers had climbed out."]


def test_lines_a_scrape_broke_inside_sentences_are_joined() -> None:
    text = (
        "Dam inspection finds no cracks\n\n"
        "Engineers inspected the dam\n\n"
        "on Monday and found\n\n"
        "12 sensors still working.\n\n"
        "The reservoir stays open."
    )
    page = article_of(text)
    assert page.body == [
        "Engineers inspected the dam on Monday and found 12 sensors still working.",
        "The reservoir stays open.",
    ]
    assert codes(page) == ["body-lines-joined"]


def test_the_seed_layout_without_its_date_line_gives_the_same_article_undated() -> None:
    dated, undated = parse_text_page(CRANES), parse_text_page(cranes(drop=(4,)))
    assert undated.published_at is None
    assert undated.model_dump(exclude={"published_at"}) == dated.model_dump(exclude={"published_at"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no headline and no body text"),
        ("\n\n\n", "no headline and no body text"),
        ("Just a headline", "a headline ('Just a headline') but no body text"),
        ("View\nShare\n", "no headline and no body text"),
    ],
)
def test_only_texts_without_an_article_are_refused(text: str, message: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_raw(text.encode(), "text/plain")
    assert (caught.value.message, caught.value.location) == (f"the page holds no article: {message}", "page")


# --- the real corpus ------------------------------------------------------------------------------------

# id -> number of the non-empty line that is the headline; every other text has none (README).
HEADLINE_LINE = {
    "pope-benedict-death-dailyaccessnews": 1,
    "dart-asteroid-impact-scmp": 1,
    "dart-asteroid-impact-nujournal": 1,
    "dart-asteroid-impact-i24news": 1,  # a deck line: the only headline the stored text has
    "dart-asteroid-impact-enmnews": 1,
    "notre-dame-fire-cbsnews": 1,
    "notre-dame-fire-rmc-bfmtv": 2,  # after the site label
    "ever-given-freed-hawaiitribune-herald": 1,
    "ever-given-freed-heavyshiftnews": 2,  # after a run-together tag breadcrumb
    "ever-given-freed-jeossyjs": 3,  # after a contact bar
    "turkey-syria-earthquake-kaieteurnewsonline": 1,
    "turkey-syria-earthquake-offthepress": 2,  # after 'Trending'
    "turkey-syria-earthquake-morningstarjournal": 1,
    "morocco-earthquake-thehansindia": 1,
    "ernaux-nobel-literature-devdiscourse": 1,
    "world-cup-final-2022-newsday": 2,  # after the section label
    "world-cup-final-2022-spanish-news-cn": 2,  # line 1 is the same with the site's name after it
}


def corpus() -> list[dict[str, str]]:
    if not CORPUS.exists():
        pytest.skip(f"the corpus is not at {CORPUS} (it lives in ../shared/corpus beside the repository)")
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_table_names_every_scraped_page() -> None:
    texts = corpus()
    assert len(texts) == 64
    assert {t["id"] for t in texts if t["kind"] == "scraped-page"} <= set(HEADLINE_LINE)
    assert set(HEADLINE_LINE) <= {t["id"] for t in texts}


def _corpus_ids() -> list[str]:
    return [t["id"] for t in corpus()] if CORPUS.exists() else ["corpus-absent"]


@pytest.mark.parametrize("text_id", _corpus_ids())
def test_every_corpus_text_is_an_article_with_the_right_headline(text_id: str) -> None:
    text = next(t for t in corpus() if t["id"] == text_id)
    page = article_of(text["text"])
    lines = [line.strip() for line in text["text"].splitlines() if line.strip()]
    assert page.body
    if text_id in HEADLINE_LINE:
        assert page.headline == lines[HEADLINE_LINE[text_id] - 1]
        assert "headline-missing" not in codes(page)
        assert page.headline not in page.body  # not repeated as a paragraph
    else:  # none in the text: the lede's first sentence, said, and the lede kept whole
        assert "headline-missing" in codes(page)
        assert page.body[0].startswith(page.headline.removesuffix("\u2026"))
        assert len(page.headline) <= 150
