"""Damaged pages give a valid article or a FormatError, never another exception (a 5xx at the API)."""

from html import escape
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.article import ArticleSubmission
from services.ingest.formats.errors import FormatError
from services.ingest.formats.html_page import parse_html_page
from services.ingest.formats.text_page import SIDEBAR_NAMES, parse_text_page

HARBOUR = (Path(__file__).resolve().parents[1] / "fixtures" / "page_harbour.txt").read_text()
# Invented: no site suffix, a Reuters-style dateline, no separator, a sidebar without bullets.
ORCHARD = """\
Current:Home > Business
Frost damage lifts apple prices across the valley
Date:2025-05-09 06:30:00+02:00
BOLZANO, Italy, May 9 (Reuters) - Late frost damaged blossom in a third of the valley's orchards.
Growers said prices for stored apples rose by a fifth within a week.
Reuters reporter Ana Lima contributed.
Recommendation
Cold snap tests vineyard insurance schemes
"""
PAGES = [HARBOUR.splitlines(), ORCHARD.splitlines()]
# Lines that steer the parser: structure it looks for, and text the contract limits.
TOKENS = [
    "___",
    "Date:2025-07-03 09:05:00",
    "Date:2025-99-99",
    "Date:2025-07-03 09:05 Nowhere/Zone",
    "View",
    "veryGood! (7)",
    "wow! (99999999999999)",
    "Current:Home > News",
    "MOSCOW (AP) \u2014",
    "Associated Press writers Jo Ann in Rome, Italy, and Al Bo contributed.",
    "- ",
    "x" * 2100,
    *SIDEBAR_NAMES,
]


@st.composite
def mutated_pages(draw: st.DrawFn) -> str:
    lines = list(draw(st.sampled_from(PAGES)))
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "token", "truncate", "cut"]))
        i = draw(st.integers(0, len(lines) - 1))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "insert":
            lines.insert(i, draw(st.text(max_size=60)))
        elif action == "token":
            lines.insert(i, draw(st.sampled_from(TOKENS)))
        elif action == "truncate":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        else:  # the page cut off
            lines = lines[:i]
    return draw(st.sampled_from(["\n", "\r\n", "\n\n"])).join(lines)


def check(article: ArticleSubmission) -> None:
    # Valid as a whole, not just built (the warnings are private state, outside the dump).
    assert ArticleSubmission.model_validate(article.model_dump()).model_dump() == article.model_dump()
    assert article.body
    # No readable date leaves published_at to ingest (the time received); one read is aware.
    assert article.published_at is None or article.published_at.tzinfo is not None
    assert not {"___", *SIDEBAR_NAMES} & set(article.body)


@settings(max_examples=300, deadline=None)
@given(page=mutated_pages(), zone=st.sampled_from(["UTC", "Europe/Athens", "America/Los_Angeles"]))
def test_mutated_text_pages_give_an_article_or_a_format_error(page: str, zone: str) -> None:
    try:
        article = parse_text_page(page, source_timezone=zone)
    except FormatError:
        return
    check(article)


@settings(max_examples=150, deadline=None)
@given(
    page=mutated_pages(),
    tags=st.lists(
        st.sampled_from(["p", "div", "li", "h1", "span", "aside", "nav", "br", "script"]), min_size=1
    ),
)
def test_mutated_html_pages_give_an_article_or_a_format_error(page: str, tags: list[str]) -> None:
    html = "".join(
        f"<{tags[n % len(tags)]}>{escape(line)}</{tags[n % len(tags)]}>"
        for n, line in enumerate(page.splitlines())
    )
    try:
        article = parse_html_page(f"<html><body>{html}</body></html>")
    except FormatError:
        return
    check(article)
