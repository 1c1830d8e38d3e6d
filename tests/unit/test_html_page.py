"""The HTML rendering of seed-like pages gives the same article as the text rendering."""

from html import escape
from pathlib import Path

import pytest

from services.ingest.formats.errors import FormatError
from services.ingest.formats.html_page import html_to_lines, parse_html_page, parse_seed_layout
from services.ingest.formats.text_page import parse_text_page

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_5ccf344fef08e2a4.txt"

# Invented. Source line breaks inside paragraphs, a sidebar placed before the story, a script
# holding markup, a footer, and navigation: none of it may change the article.
PAGE = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html><head><title>Night trains return to the mountain line -Valley Ledger</title>
<style>p { margin: 0 }</style></head>
<body>
<nav class="site-menu"><a href="/">Home</a> <a href="/sport">Sport</a></nav>
<nav aria-label="Breadcrumb"><ol><li><a href="/">Home</a></li><li><a href="/travel">Travel</a></li></ol></nav>
<aside><h3>Related</h3><ul><li><a href="/a">Snow closes two passes</a></li>
<li><a href="/b">A new timetable for buses</a></li></ul></aside>
<article>
<h1>Night trains return to the mountain line</h1>
<div class="meta">View</div>
<div>Date:2025-12-14 21:10:00</div>
<p>INNSBRUCK, Austria (AP) \u2014 Sleeper trains returned to the mountain line
on Sunday after a two-year break, the operator said.</p>
<p>Tickets for the first week sold out within a day.<!-- ad slot --> More trains are
planned for February.</p>
<p>___</p>
<p>Associated Press writer Lea Gruber in Vienna contributed.</p>
<div>veryGood! (42)</div>
</article>
<script>document.write("<p>not the story</p>")</script>
<footer><p>Contact us</p></footer>
</body></html>
"""


def test_invented_html_page() -> None:
    page = parse_html_page(PAGE, source_timezone="Europe/Vienna")
    assert page.section == ["Home", "Travel"]
    assert page.headline == "Night trains return to the mountain line"
    assert page.source.name == "Valley Ledger"
    assert page.published_at.isoformat() == "2025-12-14T21:10:00+01:00"
    assert page.dateline == "INNSBRUCK, Austria (AP)"
    assert page.body == [
        "Sleeper trains returned to the mountain line on Sunday after a two-year break, the operator said.",
        "Tickets for the first week sold out within a day. More trains are planned for February.",
    ]
    assert [(c.name, c.place) for c in page.contributors] == [("Lea Gruber", "Vienna")]
    assert page.reactions == {"veryGood": 42}
    assert [(s.name, [i.headline for i in s.items]) for s in page.sidebars] == [
        ("Related", ["Snow closes two passes", "A new timetable for buses"])
    ]


def test_scripts_navigation_and_footers_leave_no_text() -> None:
    lines = html_to_lines(PAGE)
    for gone in ("not the story", "Contact us", "Sport", "margin", "ad slot"):
        assert gone not in lines


def test_a_time_element_stands_in_for_a_missing_date_line() -> None:
    html = (
        "<h1>Harbour reopens</h1><time datetime='2025-06-01T08:00:00+02:00'>1 June</time>"
        "<p>The harbour reopened.</p>"
    )
    page = parse_html_page(html)
    assert page.published_at.isoformat() == "2025-06-01T08:00:00+02:00"
    assert page.body == ["The harbour reopened."]
    assert page.source.name == "unknown"


def test_a_page_laid_out_with_line_breaks() -> None:
    html = "<body>Harbour reopens -Coast Post<br>Date:2025-06-01 08:00<br>The harbour reopened.<br></body>"
    page = parse_html_page(html)
    assert (page.headline, page.source.name, page.body) == (
        "Harbour reopens",
        "Coast Post",
        ["The harbour reopened."],
    )


def test_the_seed_rendered_as_html_gives_the_text_article() -> None:
    if not SEED.exists():
        pytest.skip(f"the seed page is not at {SEED} (it lives in ../shared/seeds beside the repository)")
    lines = SEED.read_text(encoding="utf-8").splitlines()
    head, body_and_rest = lines[:4], lines[4:]

    def block(line: str) -> str:
        if line.startswith("- "):
            return f"<ul><li><a href='#'>{escape(line[2:])}</a></li></ul>"
        return f"<p>{escape(line)}</p>"

    html = (
        f"<html><head><title>{escape(head[1])} -AssetBase</title></head><body>"
        f"<div class='crumbs'>{escape(head[0])}</div><h1>{escape(head[1])}</h1>"
        f"<span>{head[2]}</span><div>{escape(head[3])}</div>"
        + "".join(block(line) for line in body_and_rest)
        + "<footer>About us</footer></body></html>"
    )
    assert parse_html_page(html) == parse_text_page("\n".join(lines))


@pytest.mark.parametrize(
    ("html", "location"),
    [
        ("", "document"),
        ("<p>no date here</p>", "page"),  # a headline, no body
        ("<h1>Title</h1><p>Date:2025-01-01 10:00</p>", "line 3 of the page's text"),
    ],
)
def test_errors_say_where(html: str, location: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_html_page(html)
    assert caught.value.location == location


def test_an_unreadable_date_is_dropped_with_a_warning_naming_the_line() -> None:
    # Refused before issue 13; a real article is never refused for its date.
    page = parse_html_page("<h1>Title</h1><p>Date:someday</p><p>Body.</p>")
    assert (page.headline, page.body, page.published_at) == ("Title", ["Body."], None)
    assert [(w.code, w.message) for w in page.warnings] == [
        ("date-unreadable", "line 2: unreadable date 'someday': ignored")
    ]


def test_only_pages_showing_the_seed_s_date_line_are_read_in_its_layout() -> None:
    seed_like = "<h1>Trains</h1><div>Date:2025-01-01 10:00</div><p>Body text.</p>"
    assert parse_seed_layout(seed_like) == parse_html_page(seed_like)
    # A real site: a skip link first, a <time> element, no `Date:` line. Not the seed's layout,
    # though parse_html_page, asked directly, would read its <time> as the date.
    site = (
        "<a href='#main'>Skip to main content</a><h1>Trains</h1>"
        "<time datetime='2025-01-01T10:00:00Z'>1 Jan</time><p>Body text.</p>"
    )
    assert parse_seed_layout(site) is None
    # A `Date:` far down the page (a press release's fact box) is no seed anchor either.
    deep = "".join(f"<p>Menu entry {n}</p>" for n in range(12)) + seed_like
    assert parse_seed_layout(deep) is None


def test_breadcrumb_steps_marked_one_by_one_and_a_page_wide_breadcrumb_class() -> None:
    html = (
        "<html><body class='with-breadcrumbs'><ol><li class='breadcrumb-item'>Home</li>"
        "<li class='breadcrumb-item'>Travel</li></ol><h1>Trains</h1>"
        "<p>Date:2025-01-01 10:00</p><p>Body text.</p></body></html>"
    )
    page = parse_html_page(html)
    assert (page.section, page.headline, page.body) == (["Home", "Travel"], "Trains", ["Body text."])
