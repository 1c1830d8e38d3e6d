"""Splitting a wave into bulk requests sent side by side."""

from __future__ import annotations

from services.index.bulk_writer import MIN_PART, parts
from services.index.writes import IndexRequest


def _wave(n: int) -> list[IndexRequest]:
    return [IndexRequest(f"doc-{i}", 1, {}) for i in range(n)]


def test_a_small_wave_goes_out_whole() -> None:
    wave = _wave(2 * MIN_PART - 1)
    assert parts(wave, 4) == [wave]


def test_a_large_wave_is_split_into_disjoint_parts_that_cover_it() -> None:
    wave = _wave(500)
    split = parts(wave, 2)
    assert len(split) == 2
    assert sorted(r.doc_id for part in split for r in part) == sorted(r.doc_id for r in wave)
    assert abs(len(split[0]) - len(split[1])) <= 1


def test_no_more_parts_than_asked_or_than_minimum_sized_parts() -> None:
    assert len(parts(_wave(500), 1)) == 1
    assert len(parts(_wave(3 * MIN_PART), 16)) == 3
