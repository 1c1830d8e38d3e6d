"""Article pages as real sites build them: invented pages modelled on them, and the captured ones.

The invented pages copy what real pages do (a skip link first, a kicker inside the h1, the
site's name and a date after the title, only og:title, a byline in an info box beside a
gallery caption's) with text of our own. The captured pages of ../shared/formats (they belong
to their publishers) are read at test time and checked against their MANIFEST.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from schemas.article import ArticleSubmission
from services.ingest.formats.registry import parse_raw

FORMATS = Path(__file__).resolve().parents[3] / "shared" / "formats"
STORY = "".join(
    f"<p>Paragraph {n} of the report on the harbour wall, which the council has rebuilt with granite "
    f"from the old quarry and opened to anglers on the north side every morning.</p>"
    for n in range(1, 5)
)
PUBLISHED = '<meta property="article:published_time" content="2025-03-02T08:15:00+01:00">'


def page(head: str, body: str) -> bytes:
    head = f"<meta charset='utf-8'>{head}"
    return f"<!DOCTYPE html><html lang='en'><head>{head}</head><body>{body}</body></html>".encode()


def article(data: bytes) -> ArticleSubmission:
    (item,) = parse_raw(data, "text/html")
    assert isinstance(item, ArticleSubmission), item
    return item


# --- invented pages ----------------------------------------------------------------------------------


def test_a_skip_link_and_a_time_element_do_not_make_the_seed_layout() -> None:
    body = (
        "<a class='skip' href='#main'>Skip to main content</a><nav><a href='/'>Home</a></nav>"
        "<main id='main'><article><h1>Harbour wall reopens to anglers</h1>"
        "<time datetime='2025-03-02T08:15:00+01:00'>2 March 2025</time>" + STORY + "</article></main>"
    )
    item = article(page("<title>Harbour wall reopens to anglers | Coast Post</title>", body))
    assert item.headline == "Harbour wall reopens to anglers"
    assert item.published_at is not None
    assert item.published_at.isoformat() == "2025-03-02T08:15:00+01:00"
    assert item.published_at_source == "text"  # from the page's <time>, not declared metadata
    assert item.body[0].startswith("Paragraph 1")


def test_the_site_name_and_date_after_the_title_come_off() -> None:
    head = (
        '<meta property="og:title" content="Harbour wall reopens to anglers | CP | 02.03.2025">'
        '<meta property="og:site_name" content="CP.EXAMPLE">' + PUBLISHED
    )
    item = article(page(head, f"<article><h1>Harbour wall reopens to anglers</h1>{STORY}</article>"))
    assert item.headline == "Harbour wall reopens to anglers"
    assert item.source.name == "CP.EXAMPLE"


def test_a_kicker_inside_the_h1_is_no_part_of_the_headline() -> None:
    ld = json.dumps({"@type": "Article", "headline": "Hafen: Die Mauer steht wieder"})
    head = f'<script type="application/ld+json">{ld}</script>' + PUBLISHED
    h1 = (
        "<h1><span class='heading__kicker'>Hafen</span><span class='visually-hidden'>:</span> "
        "<span class='heading__title'>Die Mauer steht wieder</span></h1>"
    )
    assert article(page(head, f"<article>{h1}{STORY}</article>")).headline == "Die Mauer steht wieder"


def test_an_og_title_with_a_kicker_before_the_h1_s_text() -> None:
    head = '<meta property="og:title" content="Coast: Harbour wall reopens to anglers">' + PUBLISHED
    item = article(page(head, f"<article><h1>Harbour wall reopens to anglers</h1>{STORY}</article>"))
    assert item.headline == "Harbour wall reopens to anglers"


def test_a_page_with_only_og_title() -> None:
    head = '<meta property="og:title" content="Harbour wall reopens to anglers">' + PUBLISHED
    item = article(page(head, f"<div class='story'>{STORY}</div>"))
    assert item.headline == "Harbour wall reopens to anglers"


def test_a_page_with_only_a_title_and_the_site_s_name() -> None:
    head = (
        "<title>Harbour wall reopens to anglers - Local - The Coast Post</title>"
        '<meta property="og:site_name" content="the Coast Post">'
        '<meta property="article:section" content="Local">' + PUBLISHED
    )
    assert article(page(head, f"<div>{STORY}</div>")).headline == "Harbour wall reopens to anglers"


def test_a_spaced_dash_inside_a_lone_title_stays() -> None:
    head = "<title>Anglers return - and the gulls follow</title>" + PUBLISHED
    assert article(page(head, f"<div>{STORY}</div>")).headline == "Anglers return - and the gulls follow"


def test_a_json_ld_headline_cut_with_an_ellipsis_is_completed_from_the_h1() -> None:
    ld = json.dumps({"@type": "NewsArticle", "headline": "Harbour wall reopens to anglers after a..."})
    head = f'<script type="application/ld+json">{ld}</script>' + PUBLISHED
    h1 = "<h1>Harbour wall reopens to anglers after a winter of repairs</h1>"
    item = article(page(head, f"<article>{h1}{STORY}</article>"))
    assert item.headline == "Harbour wall reopens to anglers after a winter of repairs"


def test_the_byline_in_an_info_box_not_the_gallery_caption_s_nor_the_publisher() -> None:
    head = (
        '<meta name="author" content="Coast Post (www.coastpost.example)">'
        '<meta name="publisher" content="Coast Post (www.coastpost.example)">' + PUBLISHED
    )
    body = (
        f"<article><h1>Harbour wall reopens to anglers</h1>{STORY}"
        "<div class='gallery'><ul class='slides'>"
        "<li><p class='author'>Author: Ines Moor (im)</p></li></ul></div>"
        "</article><div class='info'><ul><li><strong>Date</strong> 02.03.2025</li>"
        "<li><strong>Author</strong> Tamsin Hale</li></ul></div>"
    )
    assert [b.name for b in article(page(head, body)).bylines] == ["Tamsin Hale"]


def test_json_ld_wrapped_in_cdata_is_read() -> None:
    ld = json.dumps(
        {"@type": "ReportageNewsArticle", "headline": "Harbour wall reopens", "author": {"name": "Ana Lima "}}
    )
    head = f'<script type="application/ld+json">//<![CDATA[\n{ld}\n//]]></script>' + PUBLISHED
    item = article(page(head, f"<article>{STORY}</article>"))
    assert ([b.name for b in item.bylines], item.headline) == (["Ana Lima"], "Harbour wall reopens")


def test_updated_before_published_is_left_for_ingest_to_repair_and_say() -> None:
    head = PUBLISHED + '<meta property="article:modified_time" content="2025-03-01T08:00:00+01:00">'
    item = article(page("<title>Harbour wall reopens</title>" + head, f"<article>{STORY}</article>"))
    assert item.updated_at is not None  # not dropped silently here: intake drops it with a warning
    assert item.warnings == []


# --- the captured pages -------------------------------------------------------------------------------

_FIELD = re.compile(r'(?P<key>[\w:]+)(?:\([^)]*\))?=(?:"(?P<quoted>[^"]*)"|(?P<bare>[^;\s]+))')


def manifest() -> dict[str, dict[str, str]]:
    if not (FORMATS / "MANIFEST.tsv").exists():
        pytest.skip(f"the captured pages are not at {FORMATS} (they live in ../shared/formats)")
    with (FORMATS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as rows:
        return {
            row["file"]: {
                m["key"]: m["quoted"] if m["quoted"] is not None else m["bare"]
                for m in _FIELD.finditer(row["expect"])
            }
            for row in csv.DictReader(rows, delimiter="\t")
            if row["file"].startswith("html-")
        }


def _pages() -> list[str]:
    return sorted(p.name for p in FORMATS.glob("html-*.html")) or ["pages-absent"]


def _expected_moment(value: str) -> datetime | date:
    """`2020-01-19T12:25:36Z`, `2018-12-21 12:55:00` (read in UTC, the default zone), or a day."""
    moment = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
    if isinstance(moment, datetime) and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


@pytest.fixture(scope="module")
def parsed() -> dict[str, ArticleSubmission]:
    manifest()  # skips when the pages are absent
    return {name: article((FORMATS / name).read_bytes()) for name in _pages()}


@pytest.mark.parametrize("name", _pages())
def test_captured_page_headline_byline_date_and_language(
    name: str, parsed: dict[str, ArticleSubmission]
) -> None:
    expect = manifest()[name]
    item = parsed[name]
    assert item.headline == expect["headline"]
    if "byline" in expect:
        assert [b.name for b in item.bylines] == [expect["byline"].strip()]
    when = expect.get("datePublished") or expect.get("published") or expect.get("date")
    assert when is not None
    assert item.published_at is not None
    wanted = _expected_moment(when)
    if isinstance(wanted, datetime):
        assert item.published_at == wanted
    else:  # a day only: the page shows no time
        assert item.published_at.date() == wanted
    if "language" in expect:
        assert item.language == expect["language"]
    assert item.body
    assert not any(w.code == "headline-missing" for w in item.warnings)


def test_every_captured_page_has_expectations() -> None:
    assert set(_pages()) == set(manifest())
    assert len(manifest()) == 6


def test_a_page_whose_charset_only_its_meta_tag_names() -> None:
    story = "<p>港の桟橋が新しく開かれ、朝から多くの釣り人が集まりました。漁協は喜んでいます。</p>" * 4
    head = '<meta charset="shift_jis"><title>港の桟橋が開く</title>' + PUBLISHED
    data = f"<html><head>{head}</head><body><article>{story}</article></body></html>".encode("shift_jis")
    assert article(data).headline == "港の桟橋が開く"
