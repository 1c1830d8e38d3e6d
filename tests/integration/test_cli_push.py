"""`wirestream push` against the real ingest service and Kafka."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from infra.settings import InfraSettings
from services.common.topics import RAW
from tests.support import free_port, read_topic, running_service, submission


def _service_env(infra: InfraSettings, port: int, **extra: str) -> dict[str, str]:
    return {
        "WIRESTREAM_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "WIRESTREAM_INGEST_PORT": str(port),
        "WIRESTREAM_INGEST_API_KEYS": "cli:cli-secret",
        **extra,
    }


def _push(port: int, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "push", *map(str, paths), "--url", f"http://127.0.0.1:{port}"],
        env={"WIRESTREAM_API_KEY": "cli-secret", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_push_sends_files_and_folders_and_reports_each_rejection(
    infra: InfraSettings, tmp_path: Path, logs_dir: str
) -> None:
    folder = tmp_path / "feed"
    folder.mkdir()
    singles = [submission(), submission()]
    for n, article in enumerate(singles):
        (folder / f"a{n}.json").write_text(json.dumps(article))
    lines = [submission(), {**submission(), "headline": ""}, submission()]
    ndjson = tmp_path / "batch.ndjson"
    ndjson.write_text("\n".join(json.dumps(line) for line in lines))
    port = free_port()
    with running_service(
        "services.ingest", _service_env(infra, port), port, Path(logs_dir) / "cli-ingest.log"
    ):
        result = _push(port, folder, ndjson)
    assert result.returncode == 1, result.stderr  # one line was rejected
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"accepted": 4, "rejected": 1}
    assert f"rejected {ndjson}:2:" in result.stderr
    assert "/headline" in result.stderr
    headlines = {a["headline"] for a in [*singles, lines[0], lines[2]]}
    read_topic(
        infra.kafka_bootstrap,
        RAW.name,
        until=lambda records: headlines <= {json.loads(r.value)["headline"] for r in records},
    )


def test_push_retries_429_until_everything_is_accepted(
    infra: InfraSettings, tmp_path: Path, logs_dir: str
) -> None:
    for n in range(4):
        (tmp_path / f"a{n}.json").write_text(json.dumps(submission()))
    port = free_port()
    env = _service_env(
        infra, port, WIRESTREAM_INGEST_RATE_LIMIT_PER_S="2", WIRESTREAM_INGEST_RATE_LIMIT_BURST="1"
    )
    with running_service("services.ingest", env, port, Path(logs_dir) / "cli-ingest-limited.log"):
        result = _push(port, tmp_path)
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"accepted": 4, "rejected": 0}
    assert 'wirestream_ingest_rejected_total{reason="rate-limited"}' in metrics  # it really was throttled


def test_push_refuses_a_path_that_does_not_exist(tmp_path: Path) -> None:
    result = _push(1, tmp_path / "missing.json")
    assert result.returncode == 2
    assert "no such file or folder" in result.stderr
