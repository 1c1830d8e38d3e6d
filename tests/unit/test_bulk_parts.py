"""Splitting a wave into bulk requests sent side by side."""

from __future__ import annotations

import json
import threading
import time
from typing import Any, cast

import pytest

from services.index.bulk_writer import (
    MIN_PART,
    BulkWriter,
    ElasticsearchUnavailable,
    Planned,
    WriteReport,
    ndjson,
    parts,
)
from services.index.mapping import CURRENT_VERSION, IndexNames
from services.index.writes import IndexRequest, WriteRequest


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


class _Recorder(BulkWriter):
    """A writer whose waves are recorded (or fail) instead of reaching Elasticsearch."""

    def __init__(self, fail_on: str | None = None) -> None:
        super().__init__(cast(Any, None), IndexNames("test", CURRENT_VERSION), concurrency=2)
        self.fail_on = fail_on
        self.written: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()

    def _write_wave(self, wave: list[WriteRequest], report: WriteReport, first: Planned | None) -> None:
        time.sleep(0.02)  # so that the parts overlap
        with self.lock:
            self.written.append((threading.current_thread().name, [r.doc_id for r in wave]))
        if self.fail_on is not None and any(r.doc_id == self.fail_on for r in wave):
            raise ElasticsearchUnavailable("down")
        report.written += len(wave)


def test_a_split_wave_is_written_side_by_side_on_reused_threads() -> None:
    writer = _Recorder()
    try:
        for _ in range(2):
            report = writer.send(writer.prepare(list(_wave(500))))
            assert report.written == 500
        threads = {name for name, _ in writer.written}
        # The first part in the calling thread, the second on the one pool thread, batch after batch.
        assert threads == {threading.current_thread().name, "bulk-part_0"}
    finally:
        writer.close()


@pytest.mark.parametrize("failing", ["doc-0", "doc-1"])
def test_a_failed_part_fails_the_wave_only_after_every_part_is_done(failing: str) -> None:
    writer = _Recorder(fail_on=failing)
    try:
        with pytest.raises(ElasticsearchUnavailable):
            writer.send(writer.prepare(list(_wave(500))))
        assert len(writer.written) == 2  # the other part was not left in flight
    finally:
        writer.close()


def test_ndjson_is_one_compact_json_line_per_item() -> None:
    body = ndjson([{"index": {"_id": "a"}}, {"headline": "Über", "n": None}])
    assert body == b'{"index":{"_id":"a"}}\n{"headline":"\xc3\x9cber","n":null}\n'
    assert [json.loads(line) for line in body.splitlines()][1] == {"headline": "Über", "n": None}
    assert ndjson([]) == b""
