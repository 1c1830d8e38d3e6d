"""`make run`: the whole platform on this machine, in the foreground, until Ctrl-C.

Starts Kafka and Elasticsearch (infra), then ingest, enrich and index as child
processes with their logs on this terminal (one JSON object per line), pushes
the bundled samples, prints where everything is, and on Ctrl-C stops the
services and then the servers, in that order.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx

from infra.lifecycle import down, up
from infra.maven import pinned_version
from infra.settings import REPO_ROOT, InfraSettings
from services.cli import push

LOCAL_KEY = "local-dev-key"
SERVICES = {"ingest": 8080, "enrich": 8081, "index": 8082}


def _wait_ready(name: str, port: int, proc: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with status {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{name} not ready after {timeout_s:.0f}s")


def _banner(infra: InfraSettings, ports: dict[str, int]) -> str:
    ingest = f"http://127.0.0.1:{ports['ingest']}"
    return "\n".join(
        [
            "",
            "Wirestream is running. Ctrl-C stops everything.",
            f"  ingest API     {ingest}  (docs {ingest}/docs, key '{LOCAL_KEY}' in X-API-Key)",
            f"  enrich worker  http://127.0.0.1:{ports['enrich']}/readyz",
            f"  index worker   http://127.0.0.1:{ports['index']}/readyz",
            f"  Kafka {pinned_version('kafka')}    {infra.kafka_bootstrap}   "
            f"(logs {infra.state_dir}/kafka/logs)",
            f"  Elasticsearch {pinned_version('elasticsearch')}  {infra.es_url}   "
            f"(logs {infra.state_dir}/elasticsearch/logs)",
            f"  search         curl '{infra.es_url}/articles/_search?q=seals&pretty'",
            f"  push more      WIRESTREAM_API_KEY={LOCAL_KEY} .venv/bin/wirestream push FILES...",
            "",
        ]
    )


def main() -> int:
    infra = InfraSettings()
    ports = {
        name: int(os.environ.get(f"WIRESTREAM_{name.upper()}_PORT", default))
        for name, default in SERVICES.items()
    }
    env = {
        **os.environ,
        "WIRESTREAM_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "WIRESTREAM_ES_URL": infra.es_url,
        "WIRESTREAM_INGEST_API_KEYS": os.environ.get("WIRESTREAM_INGEST_API_KEYS", f"local:{LOCAL_KEY}"),
        "WIRESTREAM_ENRICH_DATA_DIR": str(infra.state_dir / "enrich"),
        **{f"WIRESTREAM_{name.upper()}_PORT": str(port) for name, port in ports.items()},
    }
    print(f"starting Kafka and Elasticsearch (state in {infra.state_dir}) ...", flush=True)
    up(infra)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for name in ("index", "enrich", "ingest"):
            # Own process group: the terminal's Ctrl-C reaches us, and we stop them in order.
            procs[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"], env=env, cwd=REPO_ROOT, start_new_session=True
            )
        for name, proc in procs.items():
            _wait_ready(name, ports[name], proc)
        # The samples, and the project's seed pages when ../shared/seeds is beside the repo.
        sources = [p for p in (REPO_ROOT / "samples", REPO_ROOT.parent / "shared" / "seeds") if p.exists()]
        summary = asyncio.run(push(sources, url=f"http://127.0.0.1:{ports['ingest']}", api_key=LOCAL_KEY))
        print(f"samples pushed: {summary.accepted} accepted, {len(summary.rejected)} rejected", flush=True)
        print(_banner(infra, ports), flush=True)
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    print(f"{name} exited with status {proc.returncode}; stopping", file=sys.stderr)
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        print("\nstopping services ...", flush=True)
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        print("stopping Kafka and Elasticsearch ...", flush=True)
        down(infra)
        print("stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
