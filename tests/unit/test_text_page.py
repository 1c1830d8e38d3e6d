from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.article import ArticleSubmission
from services.ingest.formats.decoding import decode_text
from services.ingest.formats.errors import FormatError
from services.ingest.formats.html_page import parse_html_page
from services.ingest.formats.registry import parse_raw
from services.ingest.formats.text_page import parse_text_page

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_5ccf344fef08e2a4.txt"
PAGE = (FIXTURES / "page_harbour.txt").read_text()


@pytest.fixture
def seed() -> ArticleSubmission:
    if not SEED.exists():
        pytest.skip(f"the seed page is not at {SEED} (it lives in ../shared/seeds beside the repo)")
    return parse_text_page(SEED.read_text())


def test_seed_header_fields(seed: ArticleSubmission) -> None:
    assert seed.section == ["Home", "News"]
    assert seed.headline == (
        "Putin meets the leader of Belarus, who suggests joining Russia\u2019s move "
        "to boost ties with North Korea"
    )
    assert seed.source.name == "AssetBase"
    assert seed.published_at == datetime(2025, 4, 27, 12, 18, 27, tzinfo=UTC)
    assert seed.dateline == "MOSCOW (AP)"


def test_seed_body_contributors_reactions(seed: ArticleSubmission) -> None:
    lines = SEED.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Date:")) + 1
    expected = [line for line in lines[start : lines.index("___")] if line.strip()]
    assert len(seed.body) == len(expected) == 11
    assert seed.body[0].startswith("Russian President Vladimir Putin hosted")
    assert seed.body[1:] == expected[1:]  # nothing lost, nothing added, in order
    assert seed.body[-1].endswith("Valery Karbalevich.")
    (contributor,) = seed.contributors
    assert (contributor.name, contributor.role, contributor.place) == (
        "Yuras Karmanau",
        "Associated Press writer",
        "Tallinn, Estonia",
    )
    assert seed.reactions == {"veryGood": 639}


def test_seed_sidebars_stay_out_of_the_body(seed: ArticleSubmission) -> None:
    assert [(s.name, len(s.items)) for s in seed.sidebars] == [
        ("Related", 10),
        ("Ranking", 8),
        ("Recommendation", 8),
    ]
    assert seed.sidebars[0].items[0].headline.startswith("This was the average Social Security benefit")
    assert seed.sidebars[2].items[1].headline == "Putin visits occupied city of Mariupol in Ukraine"
    headlines = [item.headline for section in seed.sidebars for item in section.items]
    assert not any(h in paragraph for h in headlines for paragraph in seed.body)
    assert "View" not in seed.body


def test_own_fixture_page() -> None:
    page = parse_text_page(PAGE, source_timezone="Europe/Athens")
    assert page.section == ["Home", "World", "Europe"]
    assert page.source.name == "Island Courier"
    assert page.published_at.utcoffset() == timedelta(hours=3)
    assert page.dateline == "PIRAEUS, Greece (WS)"
    assert page.body[0].startswith("A 48-hour strike")
    assert len(page.body) == 3
    assert page.contributors[0].name == "Eleni Markou"
    assert page.reactions == {"wow": 12}
    assert [s.name for s in page.sidebars] == ["Related", "Ranking"]


def test_variants_crlf_offset_and_no_breadcrumb() -> None:
    page = PAGE.split("\n", 1)[1].replace("Date:2025-07-03 09:05:00", "Date:2025-07-03 09:05:00+02:00")
    parsed = parse_text_page(page.replace("\n", "\r\n"))
    assert parsed.section == []
    assert parsed.published_at.utcoffset() == timedelta(hours=2)
    assert parsed.source.name == "WS"  # no site suffix: the dateline's agency


@pytest.mark.parametrize(
    ("page", "where"),
    [
        (PAGE.replace("Date:2025-07-03 09:05:00", ""), "page"),
        (PAGE.replace("Date:2025-07-03 09:05:00", "Date:someday"), "line 4"),
        ("Date:2025-07-03 09:05:00\nbody", "line 1"),
    ],
)
def test_bad_pages_raise_format_error_with_location(page: str, where: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_text_page(page)
    assert caught.value.location == where


def test_html_rendering_of_the_layout() -> None:
    html = (
        "<html><body><nav>Home</nav><h1>Ferry strike strands thousands on Greek islands</h1>"
        "<div>Date:2025-07-03 09:05:00</div><p>PIRAEUS, Greece (WS) \u2014 Crews struck.</p><p>More.</p>"
        "<p>___</p><h3>Related</h3><ul><li>Other story</li></ul><script>x()</script></body></html>"
    )
    parsed = parse_html_page(html)
    assert parsed.body == ["Crews struck.", "More."]
    assert parsed.sidebars[0].items[0].headline == "Other story"


def test_registry_decodes_and_picks_the_parser() -> None:
    (item,) = parse_raw(PAGE.encode("utf-16"), "text/plain")  # BOM wins over the missing charset
    assert isinstance(item, ArticleSubmission)
    with pytest.raises(FormatError, match="no parser"):
        parse_raw(b"x", "application/pdf")


def test_decoding_bom_declared_charset_and_cp1252_smart_quotes() -> None:
    assert decode_text("\ufeffhé".encode()) == "hé"
    assert decode_text("hé".encode("latin-1"), "iso-8859-1") == "hé"
    assert decode_text(b"\x93quoted\x94 it\x92s") == "\u201cquoted\u201d it\u2019s"
    with pytest.raises(FormatError, match="unknown charset"):
        decode_text(b"x", "no-such-charset")


PAGE_LINES = PAGE.splitlines()


@st.composite
def mutated_pages(draw: st.DrawFn) -> str:
    lines = list(PAGE_LINES)
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["drop", "dup", "swap", "insert", "truncate"]))
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        if not lines:
            break
        if action == "drop":
            lines.pop(i)
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "insert":
            lines.insert(i, draw(st.text(max_size=40)))
        else:
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    return "\n".join(lines)


@settings(max_examples=300, deadline=None)
@given(page=mutated_pages())
def test_mutated_pages_give_an_article_or_a_format_error(page: str) -> None:
    try:
        (item,) = parse_raw(page.encode(), "text/plain; charset=utf-8")
    except FormatError:
        return
    assert isinstance(item, ArticleSubmission | FormatError)


def test_timezone_setting_applies_only_to_naive_dates() -> None:
    naive = parse_text_page(PAGE, source_timezone="America/New_York")
    assert naive.published_at.utcoffset() == timedelta(hours=-4)
    with pytest.raises(FormatError, match="time zone"):
        parse_text_page(PAGE, source_timezone="Mars/Olympus")
    assert UTC is UTC
