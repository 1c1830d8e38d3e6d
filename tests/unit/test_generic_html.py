"""The generic article-page parser: metadata precedence, boilerplate kept out, errors (goldens and
fuzzing: test_parser_contract.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.article import ArticleSubmission
from services.ingest.formats.errors import FormatError
from services.ingest.formats.generic_html import parse_generic_html
from services.ingest.formats.items import Withdrawal
from tests.mutations import mutated_documents

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats" / "html"
DOCUMENTS = sorted(FIXTURES.glob("*.html"))
_STORY = "".join(
    f"<p>Paragraph {n} of the story about the lock keeper's cottage, which the canal trust has "
    f"repainted in its original green and opened to walkers on the towpath every weekend.</p>"
    for n in range(1, 5)
)


def _page(head: str, body: str = _STORY, *, charset: str = "utf-8") -> str:
    return f'<html><head><meta charset="{charset}">{head}</head><body><article>{body}</article></body></html>'


def _one(data: bytes, **kwargs: Any) -> ArticleSubmission:
    (item,) = parse_generic_html(data, **kwargs)
    assert isinstance(item, ArticleSubmission)
    return item


def test_there_is_a_fixture_for_each_case() -> None:
    assert {p.stem for p in DOCUMENTS} >= {"jsonld_newsarticle", "opengraph_only", "messy_sidebars"}


def test_sidebars_share_bars_newsletters_and_footers_stay_out_of_the_body() -> None:
    item = _one((FIXTURES / "messy_sidebars.html").read_bytes())
    text = " ".join(item.body) + " " + (item.body_html or "")
    for furniture in (
        "Related stories",
        "Lifeboat station",
        "Fish auction",
        "Most read",
        "regatta",
        "Read more",
        "Tugboat crew",
        "Share on",
        "Share this article",
        "Copy link",
        "newsletter",
        "Sign up",
        "morning briefing",
        "Rope Walk",
        "Privacy policy",
        "Subscribe",
        "Weather",
    ):
        assert furniture not in text, furniture
    assert len(item.body) == 4
    assert item.dateline == "SALTMERE"


def test_json_ld_wins_over_open_graph_and_title() -> None:
    item = _one((FIXTURES / "jsonld_newsarticle.html").read_bytes())
    assert item.headline == "Glassworks chimney in Brindle Cross to be saved as a landmark"  # not og:title
    assert item.published_at.isoformat() == "2025-02-10T09:30:00+01:00"  # not article:published_time
    assert [b.name for b in item.bylines] == ["Rosalind Achebe", "Emrys Hale"]
    assert item.source.name == "Kestrel Valley Post"
    assert str(item.canonical_url) == "https://kvpost.example.invalid/local/glassworks-chimney"


def test_json_ld_as_a_list_with_a_plain_author_and_string_page() -> None:
    ld = json.dumps(
        [
            {"@type": "BreadcrumbList"},
            {
                "@type": "Article",
                "headline": "Canal cottage repainted",
                "datePublished": "2025-09-01T12:00:00",
                "author": "Wren Tolley",
                "publisher": {"name": "Towpath News"},
                "keywords": ["canals", "heritage"],
                "inLanguage": {"@type": "Language", "name": "en"},
                "url": "https://towpath.example.invalid/cottage",
            },
        ]
    )
    head = (
        f'<script type="application/ld+json">{ld}</script><script type="application/ld+json">{{bad</script>'
    )
    item = _one(_page(head).encode(), source_timezone="Europe/Paris")
    assert item.headline == "Canal cottage repainted"
    assert item.published_at.isoformat() == "2025-09-01T12:00:00+02:00"
    assert [b.name for b in item.bylines] == ["Wren Tolley"]
    assert item.tags == ["canals", "heritage"]
    assert item.language == "en"
    assert str(item.canonical_url) == "https://towpath.example.invalid/cottage"


def test_byline_paragraph_becomes_bylines() -> None:
    head = '<title>Cottage</title><meta property="article:published_time" content="2025-09-01T12:00:00Z">'
    item = _one(_page(head, "<h1>Cottage</h1><p>By Ada Quill and Bram Stoll</p>" + _STORY).encode())
    assert [b.name for b in item.bylines] == ["Ada Quill", "Bram Stoll"]
    assert not item.body[0].startswith("By ")


def test_a_missing_or_unreadable_date_is_left_to_ingest_and_said() -> None:
    # Refused before issue 13: a real article is never refused for its date.
    no_date = _one(_page("<title>Only a title</title>").encode())
    assert (no_date.headline, no_date.published_at, no_date.warnings) == ("Only a title", None, [])
    ld = '{"@type": "NewsArticle", "headline": "H", "datePublished": "yesterday"}'
    head = f'<script type="application/ld+json">{ld}</script>'
    bad = _one(_page(head).encode())
    assert bad.published_at is None
    assert [(w.code, w.field, w.message) for w in bad.warnings] == [
        ("date-unreadable", "published_at", "json-ld 'yesterday' is not a date: ignored")
    ]
    fallback = _one(
        _page(head + '<meta property="article:published_time" content="2025-01-01T08:00:00Z">').encode()
    )
    assert fallback.published_at is not None
    assert fallback.published_at.isoformat() == "2025-01-01T08:00:00+00:00"
    assert [w.code for w in fallback.warnings] == ["date-unreadable"]


def test_a_page_without_a_headline_takes_its_lede() -> None:
    page = '<html><head><meta property="article:published_time" content="2025-01-01T00:00:00Z"></head>'
    item = _one(page.encode() + f"<body><article>{_STORY}</article></body></html>".encode())
    assert item.headline.startswith("Paragraph 1 of the story about the lock keeper")
    assert item.headline.endswith("\u2026")
    assert len(item.headline) <= 150
    assert item.body[0].startswith("Paragraph 1")  # the lede stays in the body
    assert [(w.code, w.field) for w in item.warnings] == [("headline-missing", "headline")]


def test_a_page_without_article_text_is_refused() -> None:
    page = b"<html><head><title>Video</title></head><body><video src='v.mp4'></video></body></html>"
    with pytest.raises(FormatError, match="no article text") as caught:
        parse_generic_html(page)
    assert caught.value.location == "body"


@pytest.mark.parametrize("data", [b"", b"   ", b"\x00\x01binary"])
def test_unreadable_pages_raise(data: bytes) -> None:
    with pytest.raises(FormatError):
        parse_generic_html(data)


def test_cp1252_by_meta_charset_and_by_fallback() -> None:
    head = '<title>T</title><meta property="article:published_time" content="2025-01-01T00:00:00Z">'
    body = "<h1>Caf\u00e9 \u201cSolstice\u201d opens</h1>" + _STORY
    by_meta = _page(head, body, charset="windows-1252").encode("cp1252")
    assert _one(by_meta).headline == "Caf\u00e9 \u201cSolstice\u201d opens"
    mislabelled = _page(head, body).encode("cp1252")  # says UTF-8, sends Windows-1252
    assert _one(mislabelled).headline == "Caf\u00e9 \u201cSolstice\u201d opens"
    assert _one(_page(head, body).encode("cp1252"), charset="cp1252").headline.startswith("Caf\u00e9")


# --- fuzzing: whatever a site sends, the parser answers with an item or a FormatError -----------


def _mutated() -> st.SearchStrategy[bytes]:
    return mutated_documents(DOCUMENTS, '<>&;/"{}[] abc:,\n', max_span=60)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutations_yield_an_item_or_a_format_error(data: bytes) -> None:
    try:
        items = parse_generic_html(data)
    except FormatError as exc:
        error: FormatError | None = exc
    else:
        error = None
    if error is not None:
        assert error.location is not None
        return
    assert len(items) == 1
    assert isinstance(items[0], ArticleSubmission | Withdrawal | FormatError)
