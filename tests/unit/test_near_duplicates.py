"""Near-copies: republications of a story found, other stories not; fingerprints stable; clusters."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from schemas.article import RawArticle
from services.enrich.near_duplicates import (
    DEFAULT_THRESHOLD,
    EMPTY,
    NUM_PERM,
    Bands,
    Clustering,
    Fingerprint,
    NearDuplicateIndex,
    cluster_for,
    dumps_fingerprint,
    fingerprint,
    is_chrome,
    is_empty,
    loads_fingerprint,
    lsh_bands,
    shingles,
    similarity,
    words,
)
from services.ingest.formats.text_page import parse_text_page
from tests.support import REPO, raw_article

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "near_duplicates"
FAMILIES: dict[str, dict[str, Any]] = {
    path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(FIXTURES.glob("*.json"))
}
COPIES = [(family, name) for family, doc in FAMILIES.items() for name in doc["copies"]]
DISTINCT = [(family, name) for family, doc in FAMILIES.items() for name in doc["distinct"]]
SEED = REPO.parent / "shared" / "seeds" / "000_5ccf344fef08e2a4.txt"
T0 = datetime(2025, 4, 27, 12, tzinfo=UTC)


def article(submission: dict[str, Any], **changes: Any) -> RawArticle:
    return raw_article({**submission, **changes}, received_at=T0)


def base(family: str) -> RawArticle:
    return article(FAMILIES[family]["base"])


def variant(family: str, group: str, name: str) -> RawArticle:
    return article(FAMILIES[family][group][name]["article"])


def body(*paragraphs: str) -> RawArticle:
    return article(FAMILIES["flood"]["base"], body=list(paragraphs))


@pytest.fixture(scope="module")
def every_article() -> dict[str, RawArticle]:
    """Every fixture article by `family/group/name`."""
    found = {f"{family}/base": base(family) for family in FAMILIES}
    for family, doc in FAMILIES.items():
        for group in ("copies", "distinct"):
            found.update({f"{family}/{group}/{name}": variant(family, group, name) for name in doc[group]})
    return found


@pytest.fixture(scope="module")
def bases_index() -> NearDuplicateIndex:
    return NearDuplicateIndex.rebuilt((b.id, fingerprint(b)) for b in map(base, FAMILIES))


# --- the fixtures -----------------------------------------------------------------------------------


def test_the_fixtures_hold_four_stories_each_with_every_kind_of_republication() -> None:
    assert len(FAMILIES) == 4
    for doc in FAMILIES.values():
        assert 300 <= len(" ".join(doc["base"]["body"]).split()) <= 600
        assert set(doc["copies"]) == {
            "boilerplate",
            "paragraph_dropped",
            "headline_rewritten",
            "dateline_changed",
            "dateline_removed",
            "copy_edits",
            "paragraphs_resplit",
            "combined",
        }
    assert {name for _, name in DISTINCT} == {"same_event", "follow_up"}


def test_every_fixture_article_has_an_id_of_its_own(every_article: dict[str, RawArticle]) -> None:
    assert len({a.id for a in every_article.values()}) == len(every_article)


# --- what counts: the body, without what republishers change -----------------------------------------


def test_the_dateline_headline_case_quotes_dashes_and_paragraph_breaks_do_not_count() -> None:
    plain = body('MOSCOW (AP) -- The "old" bridge -- rebuilt twice -- reopened. It\'s busy again.')
    fancy = body(
        "The \u201cOld\u201d Bridge \u2014 rebuilt twice \u2014 REOPENED.",
        "It\u2019s busy again.",
    ).model_copy(update={"headline": "Another headline entirely"})
    assert words(plain) == [
        "the",
        "old",
        "bridge",
        "rebuilt",
        "twice",
        "reopened",
        "it",
        "s",
        "busy",
        "again",
    ]
    assert shingles(plain) == shingles(fancy)
    assert fingerprint(plain) == fingerprint(fancy)


def test_text_is_compared_in_its_nfkc_form() -> None:
    composed = body("The \ufb01nal caf\u00e9 in \uff2c\uff49\uff54\uff49\uff4a\uff41 closed on Monday.")
    assert words(composed) == ["the", "final", "café", "in", "litija", "closed", "on", "monday"]
    decomposed = body("The final cafe\u0301 in Litija closed on Monday.")
    assert shingles(composed) == shingles(decomposed)


@pytest.mark.parametrize(
    "paragraph",
    [
        "Share this:",
        "Share",
        "Share this story",
        "SIGN UP for the Courier Morning Briefing.",
        "Subscribe to our free weekly newsletter.",
        "Follow us on LinkedIn",
        "Follow AP\u2019s coverage of the floods at https://apnews.com/hub/floods",
        "Related: Floods in the Alps",
        "RELATED",
        "Read more: Five shipwrecks",
        "ADVERTISEMENT",
        "Story continues below advertisement",
        "Copyright 2025 The Associated Press. All rights reserved.",
        "\u00a9 2025 Coastline Times Media Group",
        "This material may not be published, broadcast, rewritten or redistributed.",
        "Associated Press writer Jan Horvat in Zagreb, Croatia, contributed to this report.",
        "Reporting by Lina Ekstr\u00f6m; Editing by Paul Haldane",
    ],
)
def test_page_chrome_is_left_out(paragraph: str) -> None:
    assert is_chrome(paragraph)


@pytest.mark.parametrize(
    "paragraph",
    [
        "Share prices fell 3% after the announcement.",
        "Shares in the company rose.",
        "Related companies were also searched by police, prosecutors said.",
        "Subscribers to the service will pay more from January, the company said in a statement that "
        "also promised faster connections, more channels and a new app for phones and televisions, "
        "and said all rights reserved for existing customers would stay.",
        "Officials said he contributed to the campaign.",
        "Followers of the movement gathered outside.",
    ],
)
def test_text_that_resembles_chrome_is_kept(paragraph: str) -> None:
    assert not is_chrome(paragraph)


def test_a_body_shorter_than_a_shingle_is_one_shingle_and_a_body_without_words_none() -> None:
    assert shingles(body("Polls close.")) == {b"polls close"}
    only_chrome = body("Share this:", "ADVERTISEMENT", "\u2014")
    assert shingles(only_chrome) == set()
    assert fingerprint(only_chrome) == EMPTY
    assert is_empty(fingerprint(only_chrome))
    assert similarity(EMPTY, EMPTY) == 0.0, "two empty bodies are not one story"


# --- fingerprints: deterministic, serialisable --------------------------------------------------------


def test_a_fingerprint_is_the_same_on_every_call_and_after_a_round_trip() -> None:
    original = base("wreck")
    first = fingerprint(original)
    assert fingerprint(original) == first
    assert fingerprint(RawArticle.model_validate_json(original.model_dump_json())) == first
    stored = dumps_fingerprint(first)
    assert stored.isascii()
    assert json.loads(json.dumps({"fingerprint": stored})) == {"fingerprint": stored}
    assert loads_fingerprint(stored) == first
    assert len(first) == NUM_PERM * 4


def test_the_signature_is_pinned_so_stored_fingerprints_stay_comparable() -> None:
    """A failure here means signatures changed: bump FORMAT, since stored ones no longer compare."""
    value = fingerprint(base("flood"))
    assert np.frombuffer(value, dtype="<u4")[:4].tolist() == [13047, 19394288, 16565470, 2035774]
    assert hashlib.sha256(value).hexdigest() == (
        "f1c12a414cf8da0dec0d6bd1417f272e9d28573983adcb9edb260d537965e751"
    )


def test_another_process_with_another_hash_seed_computes_the_same_fingerprint() -> None:
    script = (
        "import json, sys\n"
        "from tests.support import raw_article\n"
        "from services.enrich.near_duplicates import dumps_fingerprint, fingerprint\n"
        "doc = json.load(open(sys.argv[1], encoding='utf-8'))\n"
        "print(dumps_fingerprint(fingerprint(raw_article(doc['base']))))\n"
    )
    answer = subprocess.run(
        [sys.executable, "-c", script, str(FIXTURES / "race.json")],
        env={**os.environ, "PYTHONHASHSEED": "4242"},
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert answer.stdout.strip() == dumps_fingerprint(fingerprint(base("race")))


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "not a fingerprint",
        "mh0:" + dumps_fingerprint(EMPTY).partition(":")[2],
        "mh1:AAAA",
        "mh1:%%%%",
        dumps_fingerprint(Fingerprint(bytes(NUM_PERM * 4 + 4))),
    ],
)
def test_a_stored_fingerprint_of_another_format_is_refused(stored: str) -> None:
    with pytest.raises(ValueError, match="fingerprint"):
        loads_fingerprint(stored)


# --- the default threshold on the fixtures ---------------------------------------------------------


@pytest.mark.parametrize(("family", "name"), COPIES)
def test_every_republication_is_a_candidate_of_its_base_and_of_nothing_else(
    family: str, name: str, bases_index: NearDuplicateIndex
) -> None:
    assert bases_index.threshold == DEFAULT_THRESHOLD
    found = bases_index.candidates(fingerprint(variant(family, "copies", name)))
    assert [held for held, _ in found] == [base(family).id]
    assert found[0][1] >= 0.75


@pytest.mark.parametrize(("family", "name"), DISTINCT)
def test_no_other_story_is_a_candidate_even_about_the_same_event(
    family: str, name: str, every_article: dict[str, RawArticle]
) -> None:
    index = NearDuplicateIndex.rebuilt(
        (a.id, fingerprint(a)) for key, a in every_article.items() if "/distinct/" not in key
    )
    other = variant(family, "distinct", name)
    assert index.candidates(fingerprint(other)) == []
    assert similarity(fingerprint(other), fingerprint(base(family))) <= 0.1


def test_each_base_story_finds_only_itself(bases_index: NearDuplicateIndex) -> None:
    for family in FAMILIES:
        assert bases_index.candidates(fingerprint(base(family))) == [(base(family).id, 1.0)]


# --- the seed page -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_page() -> str:
    if not SEED.exists():
        pytest.skip(f"the seed page is not at {SEED} (it lives in ../shared/seeds beside the repository)")
    return SEED.read_text(encoding="utf-8")


def page_article(page: str) -> RawArticle:
    return raw_article(parse_text_page(page), received_at=T0)


def republished(page: str) -> str:
    """The seed as another site would carry it: its own name, sidebars, credit and page chrome."""
    lines = page.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("Date:")) + 1
    body_lines = lines[first : lines.index("___")]
    chrome = ["Share this article", "Sign up for the Night Desk newsletter.", "ADVERTISEMENT"]
    lines[first : lines.index("___")] = [
        *body_lines[:2],
        *chrome,
        *body_lines[2:],
        "Copyright 2025 Night Desk",
    ]
    sidebar = lines.index("Related")
    lines[sidebar:] = ["Related", "- Wheat prices climb for a third week", "- A new ferry for the islands"]
    page = (
        "\n".join(lines).replace(" -AssetBase", " -Night Desk").replace("veryGood! (639)", "veryGood! (12)")
    )
    return page.replace("Associated Press writer Yuras Karmanau", "AP writer Yuras Karmanau")


def test_the_seed_republished_with_other_sidebars_and_chrome_is_a_near_copy(seed_page: str) -> None:
    seed, copy = page_article(seed_page), page_article(republished(seed_page))
    assert copy.id != seed.id
    assert copy.source.name == "Night Desk"
    assert copy.sidebars != seed.sidebars
    assert len(copy.body) == len(seed.body) + 4
    index = NearDuplicateIndex.rebuilt([(seed.id, fingerprint(seed))])
    assert index.candidates(fingerprint(copy)) == [(seed.id, 1.0)], "chrome is left out: the same words"


def test_the_seed_without_its_dateline_and_a_paragraph_is_a_near_copy(seed_page: str) -> None:
    seed = page_article(seed_page)
    last_quote = seed_page.splitlines().index("___") - 1
    trimmed = "\n".join(line for i, line in enumerate(seed_page.splitlines()) if i != last_quote)
    copy = page_article(trimmed.replace("MOSCOW (AP) \u2014 ", "").replace(" -AssetBase", " -Night Desk"))
    assert copy.dateline is None
    assert len(copy.body) == len(seed.body) - 1
    found = NearDuplicateIndex.rebuilt([(seed.id, fingerprint(seed))]).candidates(fingerprint(copy))
    assert [held for held, _ in found] == [seed.id]
    assert found[0][1] >= 0.75


def test_the_seed_is_no_copy_of_any_fixture_story(seed_page: str, bases_index: NearDuplicateIndex) -> None:
    assert bases_index.candidates(fingerprint(page_article(seed_page))) == []


# --- the index ---------------------------------------------------------------------------------------


def test_the_index_adds_replaces_and_removes() -> None:
    index = NearDuplicateIndex()
    flood, wreck = base("flood"), base("wreck")
    index.add("a", fingerprint(flood))
    index.add("b", fingerprint(wreck))
    assert len(index) == 2
    assert "a" in index
    assert "c" not in index
    index.add("a", fingerprint(wreck))  # a revision that now tells the other story
    assert len(index) == 2
    assert index.candidates(fingerprint(flood)) == []
    assert index.candidates(fingerprint(wreck)) == [("a", 1.0), ("b", 1.0)], "best first, ties by id"
    index.remove("a")
    index.remove("a")  # twice: nothing to do
    assert len(index) == 1
    assert "a" not in index
    assert index.candidates(fingerprint(wreck)) == [("b", 1.0)]


def test_candidates_come_best_first(every_article: dict[str, RawArticle]) -> None:
    index = NearDuplicateIndex.rebuilt((key, fingerprint(a)) for key, a in every_article.items())
    found = index.candidates(fingerprint(base("week")))
    assert found[0] == ("week/base", 1.0)
    assert {key for key, _ in found} == {"week/base"} | {
        f"week/copies/{name}" for name in FAMILIES["week"]["copies"]
    }
    assert [score for _, score in found] == sorted((score for _, score in found), reverse=True)


def test_an_article_without_words_is_held_but_never_matched() -> None:
    index = NearDuplicateIndex()
    index.add("empty", EMPTY)
    index.add("other-empty", EMPTY)
    assert "empty" in index
    assert len(index) == 2
    assert index.candidates(EMPTY) == []
    index.remove("empty")
    assert len(index) == 1


def test_a_rebuilt_index_answers_like_the_live_one(every_article: dict[str, RawArticle]) -> None:
    live = NearDuplicateIndex()
    stored: dict[str, str] = {}  # what a durable table keeps: id -> serialised fingerprint
    for key, a in every_article.items():
        live.add(key, fingerprint(a))
        stored[key] = dumps_fingerprint(fingerprint(a))
    live.remove("flood/base")
    del stored["flood/base"]
    rebuilt = NearDuplicateIndex.rebuilt((key, loads_fingerprint(value)) for key, value in stored.items())
    assert len(rebuilt) == len(live)
    for a in every_article.values():
        assert rebuilt.candidates(fingerprint(a)) == live.candidates(fingerprint(a))


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.5])
def test_the_threshold_must_be_a_similarity(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        NearDuplicateIndex(threshold)


@pytest.mark.parametrize("threshold", [0.2, 0.3, 0.5, 0.7, 0.9, 1.0])
def test_the_bands_find_a_pair_at_the_threshold_almost_surely(threshold: float) -> None:
    bands, rows = lsh_bands(threshold)
    assert bands >= 2
    assert bands * rows <= NUM_PERM
    assert 1 - (1 - threshold**rows) ** bands >= 0.99


def test_the_default_bands() -> None:
    assert lsh_bands(DEFAULT_THRESHOLD) == (17, 2)


def test_the_bands_find_exactly_what_datasketchs_lsh_finds() -> None:
    """`Bands` replaces datasketch's MinHashLSH to save memory: same banding, same candidates."""
    from datasketch import MinHash, MinHashLSH

    rng = np.random.default_rng(3)
    bands, rows = lsh_bands(DEFAULT_THRESHOLD)
    # Families of signatures: a base with 30-95% of its values replaced, so bands are shared
    # within a family (and buckets hold one id or many), never across.
    bases = rng.integers(0, 2**32, (12, NUM_PERM), dtype="<u4")
    held: dict[str, Fingerprint] = {}
    for n in range(240):
        row = bases[n % 12].copy()
        changed = rng.random(NUM_PERM) < rng.uniform(0.3, 0.95)
        row[changed] = rng.integers(0, 2**32, int(changed.sum()), dtype="<u4")
        held[f"a{n}"] = Fingerprint(row.tobytes())

    def minhash(value: Fingerprint) -> MinHash:
        values = np.frombuffer(value, dtype="<u4").astype(np.uint64)
        return MinHash(num_perm=NUM_PERM, hashvalues=values, scheme="affine32")

    ours, theirs = Bands(bands, rows), MinHashLSH(num_perm=NUM_PERM, params=(bands, rows))
    for key, value in held.items():
        ours.add(key, value)
        theirs.insert(key, minhash(value))
    for key in list(held)[::3]:
        ours.remove(key, held[key])
        theirs.remove(key)
    answers = [(ours.query(value), set(theirs.query(minhash(value)))) for value in held.values()]
    assert all(found == expected for found, expected in answers)
    assert sum(len(found) > 1 for found, _ in answers) > 100  # shared buckets were exercised
    for key in list(held)[1::3] + list(held)[2::3]:
        ours.remove(key, held[key])
    assert list(ours.buckets()) == []


# --- clusters ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    cluster_id: str
    duplicate_of: str | None
    published_at: datetime


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_a_new_story_is_a_cluster_of_its_own() -> None:
    assert cluster_for("new", [], {}) == Clustering("new", None)


def test_a_copy_joins_the_original_and_points_at_it() -> None:
    known = {"orig": Held("orig", None, at(0))}
    assert cluster_for("copy", [("orig", 0.9)], known, published_at=at(1)) == ("orig", "orig")


def test_a_copy_of_a_copy_points_at_the_original() -> None:
    known = {"copy": Held("orig", "orig", at(1))}  # the original itself has left the window
    assert cluster_for("copy2", [("copy", 0.95)], known, published_at=at(2)) == ("orig", "orig")


def test_the_earliest_candidate_decides_not_the_closest() -> None:
    known = {
        "orig": Held("orig", None, at(0)),
        "late-copy": Held("orig", "orig", at(3)),
        "other-cluster": Held("other-cluster", None, at(1)),
    }
    candidates = [("late-copy", 0.97), ("other-cluster", 0.8), ("orig", 0.6)]
    assert cluster_for("new", candidates, known, published_at=at(4)) == ("orig", "orig")


def test_a_revision_is_never_its_own_duplicate() -> None:
    known = {"orig": Held("orig", None, at(0)), "copy": Held("orig", "orig", at(1))}
    revised = [("orig", 1.0), ("copy", 0.9)]  # the earlier revision still held, and its copy
    assert cluster_for("orig", revised, known, published_at=at(0)) == ("orig", None)
    assert cluster_for("orig", revised, known) == ("orig", None), "also without a publication time"
    assert cluster_for("copy", [("copy", 1.0), ("orig", 0.9)], known, published_at=at(1)) == ("orig", "orig")


def test_an_original_that_arrives_late_joins_its_copies_as_the_original() -> None:
    known = {"copy": Held("copy", None, at(2))}  # seen first, so it named the cluster
    assert cluster_for("orig", [("copy", 0.9)], known, published_at=at(0)) == ("copy", None)
    known["orig"] = Held("copy", None, at(0))
    assert cluster_for("copy2", [("copy", 0.9), ("orig", 0.85)], known, published_at=at(3)) == (
        "copy",
        "orig",
    )


def test_on_equal_times_the_article_seen_first_is_the_original() -> None:
    known = {"first": Held("first", None, at(0))}
    assert cluster_for("second", [("first", 0.9)], known, published_at=at(0)) == ("first", "first")


def test_candidates_no_longer_known_are_ignored() -> None:
    assert cluster_for("new", [("expired", 0.9)], {}) == ("new", None)


def test_a_stream_of_fixture_articles_clusters_each_story_once(every_article: dict[str, RawArticle]) -> None:
    """How the linking stage calls it: candidates, decision, then hold the article."""
    index = NearDuplicateIndex()
    known: dict[str, Held] = {}
    decided: dict[str, Clustering] = {}
    for key, a in sorted(every_article.items(), key=lambda item: (item[1].published_at, item[0])):
        value = fingerprint(a)
        decided[key] = cluster_for(a.id, index.candidates(value), known, published_at=a.published_at)
        known[a.id] = Held(*decided[key], a.published_at)
        index.add(a.id, value)
    for family in FAMILIES:
        original = base(family).id
        assert decided[f"{family}/base"] == (original, None)
        for name in FAMILIES[family]["copies"]:
            assert decided[f"{family}/copies/{name}"] == (original, original), name
        for name in FAMILIES[family]["distinct"]:
            other = variant(family, "distinct", name).id
            assert decided[f"{family}/distinct/{name}"] == (other, None), name
