"""The RSS/Atom parser: bad input, encodings, repairs (goldens and fuzzing: test_parser_contract.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.article import ArticleSubmission
from services.ingest.formats.errors import FormatError
from services.ingest.formats.feed import parse_feed
from services.ingest.formats.items import Withdrawal
from services.ingest.intake import to_raw_article
from tests.mutations import mutated_documents

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats" / "feed"
DOCUMENTS = sorted(FIXTURES.glob("*.xml"))


def _rss(items: str, *, head: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (f'{head}<rss version="2.0"><channel><title>Test Wire</title>{items}</channel></rss>').encode()


def _item(
    title: str = "A headline", date: str = "Mon, 07 Apr 2025 11:00:00 +0000", body: str = "Text."
) -> str:
    return f"<item><title>{title}</title><pubDate>{date}</pubDate><description>{body}</description></item>"


def test_there_is_a_fixture_for_each_case() -> None:
    assert {p.stem for p in DOCUMENTS} >= {"rss2_content_encoded", "atom_feed", "rss_broken_item", "rss1_rdf"}
    assert {p.stem for p in DOCUMENTS} >= {
        "rss_dates_five_languages",
        "rss_latin1_undeclared",
        "atom_updated_before_published",
    }


def test_one_entry_per_item_and_broken_items_are_repaired_and_said() -> None:
    items = parse_feed((FIXTURES / "rss_broken_item.xml").read_bytes())
    assert len(items) == 4
    assert all(isinstance(i, ArticleSubmission) for i in items)
    said = [[(w.code, w.field) for w in i.warnings] for i in items if isinstance(i, ArticleSubmission)]
    assert said == [[], [("headline-missing", "headline")], [("date-unreadable", "published_at")], []]


def test_body_is_sanitised_by_our_rules_and_links_stay_relative() -> None:
    first = parse_feed((FIXTURES / "rss2_content_encoded.xml").read_bytes())[0]
    assert isinstance(first, ArticleSubmission)
    assert first.body_html is not None
    assert "<script" not in first.body_html
    assert "onclick" not in first.body_html
    assert 'href="/trust"' in first.body_html  # not resolved against any base
    assert first.dateline == "ORRIN QUAY (Courier)"
    assert first.body[0].startswith("The restored tidal mill")


def test_dates_keep_the_feed_offset_and_naive_ones_take_the_source_zone() -> None:
    items = parse_feed(
        _rss(_item(date="Tue, 08 Apr 2025 09:15:00 -0400") + _item(date="2025-04-08T09:15:00")),
        source_timezone="Asia/Tokyo",
    )
    assert [i.published_at.isoformat() for i in items if isinstance(i, ArticleSubmission)] == [
        "2025-04-08T09:15:00-04:00",
        "2025-04-08T09:15:00+09:00",
    ]


def test_dates_in_five_languages_are_read_and_said() -> None:
    items = parse_feed(
        (FIXTURES / "rss_dates_five_languages.xml").read_bytes(), source_timezone="Europe/Lisbon"
    )
    articles = [i for i in items if isinstance(i, ArticleSubmission)]
    assert len(articles) == len(items) == 7
    assert [a.published_at.isoformat() if a.published_at else None for a in articles] == [
        "2025-02-24T19:42:40-03:00",  # Seg, 24 Fev (pt)
        "2025-03-25T08:15:00+01:00",  # Di, 25 Mär (de)
        "2025-03-26T07:30:00+01:00",  # mer., 26 mars (fr)
        "2025-03-27T21:05:00+00:00",  # jueves, 27 de marzo, no zone: the source's (Lisbon, WET)
        "2025-06-27T12:00:00+02:00",  # ven, 27 giu (it)
        "2025-03-28T16:20:00+00:00",  # RFC 822: no warning
        None,  # "after the next spring tide": ingest uses the time received
    ]
    codes = [[w.code for w in a.warnings] for a in articles]
    assert codes == [["date-nonstandard"]] * 5 + [[], ["date-unreadable"]]


def test_undeclared_latin1_is_guessed_and_said_and_a_declared_charset_wins() -> None:
    data = (FIXTURES / "rss_latin1_undeclared.xml").read_bytes()
    guessed = parse_feed(data)
    assert [i.headline for i in guessed if isinstance(i, ArticleSubmission)] == [
        "Pescadores de São Brás ganham novo cais e guindaste",
        "Câmara aprova horário de verão para a feira do peixe",
    ]
    for item in guessed:
        assert isinstance(item, ArticleSubmission)
        assert item.warnings[0].code == "charset-guessed"
        assert "cp1252" in item.warnings[0].message
    declared = parse_feed(data, charset="iso-8859-1")
    assert [i.headline for i in declared if isinstance(i, ArticleSubmission)] == [
        i.headline for i in guessed if isinstance(i, ArticleSubmission)
    ]
    assert all(
        "charset-guessed" not in {w.code for w in i.warnings}
        for i in declared
        if isinstance(i, ArticleSubmission)
    )
    # Declared wins even when it is a different single-byte charset than the guess.
    (cyrillic,) = parse_feed(
        _rss(_item(title="Новый паром"), head="").decode().encode("koi8-r"), charset="koi8-r"
    )
    assert isinstance(cyrillic, ArticleSubmission)
    assert cyrillic.headline == "Новый паром"
    assert cyrillic.warnings == []


def test_updated_before_published_is_passed_on_and_ingest_drops_it_with_a_warning() -> None:
    (entry,) = parse_feed((FIXTURES / "atom_updated_before_published.xml").read_bytes())
    assert isinstance(entry, ArticleSubmission)
    assert entry.updated_at is not None
    assert entry.published_at is not None
    assert entry.updated_at < entry.published_at
    raw = to_raw_article(
        entry,
        received_at=datetime(2025, 4, 3, 9, 0, tzinfo=UTC),
        key_id="tests",
        content_type="application/atom+xml",
        original=b"",
    )
    assert raw.updated_at is None
    assert [(w.code, w.field) for w in raw.ingest_warnings] == [("updated-before-published", "updated_at")]


def test_updated_falls_back_for_published_only_when_missing() -> None:
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><title>X</title>'
        b"<updated>2025-01-02T03:04:05Z</updated><summary>s</summary></entry></feed>"
    )
    (item,) = parse_feed(atom)
    assert isinstance(item, ArticleSubmission)
    assert item.published_at.isoformat() == "2025-01-02T03:04:05+00:00"
    assert item.updated_at is None


def test_contract_violations_name_the_feed_element() -> None:
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><title>X</title>'
        b"<published>2025-01-02T00:00:00Z</published><updated>2025-01-01T00:00:00Z</updated>"
        b"<summary>s</summary></entry></feed>"
    )
    (item,) = parse_feed(atom)
    assert isinstance(item, ArticleSubmission)  # updated before published: ingest drops it, said
    assert item.updated_at is not None
    (long_id,) = parse_feed(_rss(_item().replace("<title>", f"<guid>{'g' * 600}</guid><title>")))
    assert isinstance(long_id, ArticleSubmission)
    assert long_id.feed_item_id is None
    assert [(w.code, w.field) for w in long_id.warnings] == [("field-invalid", "feed_item_id")]
    (neither,) = parse_feed(_rss("<item><pubDate>Mon, 07 Apr 2025 11:00:00 GMT</pubDate></item>"))
    assert isinstance(neither, FormatError)
    assert neither.location == "entries[0].title"


def test_entry_with_only_a_title_is_an_article_that_says_so() -> None:
    (item,) = parse_feed(
        _rss("<item><title>T</title><pubDate>Mon, 07 Apr 2025 11:00:00 GMT</pubDate></item>")
    )
    assert isinstance(item, ArticleSubmission)
    assert item.body == ["T"]
    assert [(w.code, w.field) for w in item.warnings] == [("body-missing", "body")]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"plain words, no markup",
        b"<html><body><p>a web page</p></body></html>",
        b"<rss><channel><item><ti",
    ],
)
def test_documents_that_are_not_feeds_raise(data: bytes) -> None:
    with pytest.raises(FormatError) as caught:
        parse_feed(data)
    assert caught.value.location is not None


def test_fatal_errors_carry_the_line() -> None:
    with pytest.raises(FormatError) as caught:
        parse_feed(b'<?xml version="1.0"?>\n<rss version="2.0">\n<channel>\n<title>T</tit')
    assert caught.value.location is not None
    assert caught.value.location.startswith("line ")


def test_empty_but_valid_feed_has_no_entries() -> None:
    assert parse_feed(_rss("")) == []


def test_entity_declarations_are_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa">]><rss version="2.0"><channel/></rss>'
    with pytest.raises(FormatError, match="entity"):
        parse_feed(bomb)


def test_bytes_are_never_taken_for_a_file_name(tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes(_rss(_item(title="From disk")))
    with pytest.raises(FormatError):
        parse_feed(str(secret).encode())


def test_cp1252_smart_quotes_in_a_utf8_feed() -> None:
    data = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>W</title>' + (
        b"<item><title>Mayor\x92s \x93plan\x94</title><pubDate>Mon, 07 Apr 2025 11:00:00 GMT</pubDate>"
        b"<description>Caf\xe9 opens.</description></item></channel></rss>"
    )
    (item,) = parse_feed(data)
    assert isinstance(item, ArticleSubmission)
    assert item.headline == "Mayor\u2019s \u201cplan\u201d"
    assert item.body == ["Caf\u00e9 opens."]


@pytest.mark.parametrize("charset", ["windows-1252", "iso-8859-1"])
def test_declared_charsets(charset: str) -> None:
    text = _rss(_item(title="Fête de la Bière \u2014 Ålesund"), head="").decode()
    (by_header,) = parse_feed(text.encode("cp1252"), charset=charset)
    declared = f'<?xml version="1.0" encoding="{charset}"?>{text}'.encode("cp1252")
    (by_declaration,) = parse_feed(declared, charset="utf-8")  # the document's own declaration wins
    for item in (by_header, by_declaration):
        assert isinstance(item, ArticleSubmission)
        assert item.headline == "Fête de la Bière \u2014 Ålesund"


def test_utf16_with_bom() -> None:
    data = _rss(_item(title="Über die Brücke"), head='<?xml version="1.0" encoding="utf-16"?>').decode()
    (item,) = parse_feed(data.encode("utf-16"))
    assert isinstance(item, ArticleSubmission)
    assert item.headline == "Über die Brücke"


def test_unknown_source_zone_is_a_settings_error() -> None:
    with pytest.raises(FormatError) as caught:
        parse_feed(_rss(_item()), source_timezone="Mars/Olympus")
    assert caught.value.location == "settings"


# --- fuzzing: whatever a feed sends, the parser answers with items or a FormatError -------------


def _mutated() -> st.SearchStrategy[bytes]:
    return mutated_documents(DOCUMENTS, "<>&;/\"' abc]]!?-=:\n", max_span=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutations_yield_items_or_a_format_error(data: bytes) -> None:
    try:
        items = parse_feed(data)
    except FormatError as exc:
        error: FormatError | None = exc
    else:
        error = None
    if error is not None:
        assert error.location is not None
        return
    assert isinstance(items, list)
    for item in items:
        assert isinstance(item, ArticleSubmission | Withdrawal | FormatError)
        if isinstance(item, FormatError):
            assert item.location is not None
