"""`wirestream push PATH...`: send article files to the ingest API.

JSON files are single articles, `.ndjson`/`.jsonl` files go to the bulk
endpoint in chunks, raw documents (pages, NITF, NewsML-G2, feeds, `.ninjs.json`)
to the raw endpoint; folders are walked. Requests run with bounded concurrency
and are retried with backoff on 429 and 503 (honouring Retry-After). The exit
status is non-zero when anything was rejected or could not be sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from tqdm import tqdm

NDJSON_SUFFIXES = {".ndjson", ".jsonl"}
# Raw documents go to /v1/articles:raw with the Content-Type that picks their parser
# (the generic XML type lets ingest tell NITF, NewsML-G2 and feeds apart by their root).
RAW_TYPES = {
    ".txt": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
    ".xml": "application/xml",
    ".nitf": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".ninjs": "application/ninjs+json",
}
RETRY_STATUS = {429, 503}


@dataclass(frozen=True)
class Upload:
    """One request: a single JSON article, or a chunk of NDJSON lines."""

    origin: str
    endpoint: str
    content_type: str
    body: bytes
    count: int


@dataclass
class Summary:
    accepted: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (where, why)

    @property
    def ok(self) -> bool:
        return not self.rejected


def uploads(paths: list[Path], chunk_lines: int) -> Iterator[Upload]:
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.name.endswith(".ninjs.json"):
                yield Upload(str(file), "/v1/articles:raw", RAW_TYPES[".ninjs"], file.read_bytes(), 1)
            elif file.suffix == ".json":
                yield Upload(str(file), "/v1/articles", "application/json", file.read_bytes(), 1)
            elif file.suffix in NDJSON_SUFFIXES:
                yield from _ndjson_chunks(file, chunk_lines)
            elif file.suffix in RAW_TYPES:
                yield Upload(str(file), "/v1/articles:raw", RAW_TYPES[file.suffix], file.read_bytes(), 1)


def _ndjson_chunks(file: Path, chunk_lines: int) -> Iterator[Upload]:
    lines = [line for line in file.read_bytes().split(b"\n") if line.strip()]
    for start in range(0, len(lines), chunk_lines):
        chunk = lines[start : start + chunk_lines]
        yield Upload(
            f"{file}:{start + 1}", "/v1/articles:bulk", "application/x-ndjson", b"\n".join(chunk), len(chunk)
        )


async def _send(client: httpx.AsyncClient, upload: Upload, retries: int) -> httpx.Response:
    for attempt in range(retries + 1):
        try:
            response = await client.post(
                upload.endpoint, content=upload.body, headers={"Content-Type": upload.content_type}
            )
        except httpx.TransportError:
            if attempt == retries:
                raise
            await asyncio.sleep(min(30, 0.5 * 2**attempt) * random.random())
            continue
        if response.status_code not in RETRY_STATUS or attempt == retries:
            return response
        retry_after = response.headers.get("Retry-After", "")
        delay = float(retry_after) if retry_after.isdigit() else min(30, 0.5 * 2**attempt)
        await asyncio.sleep(delay)
    raise AssertionError("unreachable")


def _record(summary: Summary, upload: Upload, response: httpx.Response) -> None:
    if response.status_code == 202 and upload.endpoint.endswith(":bulk"):
        result = response.json()
        summary.accepted += result["accepted"]
        file, _, first_line = upload.origin.rpartition(":")
        for item in result["items"]:
            if item["status"] == "rejected":
                line = int(first_line) - 1 + item["line"]
                summary.rejected.append((f"{file}:{line}", item["problem"]["detail"]))
    elif response.status_code == 202 and upload.endpoint.endswith(":raw"):
        result = response.json()
        summary.accepted += result["accepted"]
        for item in result["items"]:
            if item["status"] == "rejected":
                summary.rejected.append((f"{upload.origin} item {item['item']}", item["problem"]["detail"]))
    elif response.status_code == 202:
        summary.accepted += 1
    else:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        summary.rejected.append((upload.origin, f"{response.status_code}: {detail}"))


async def push(
    paths: list[Path],
    *,
    url: str,
    api_key: str | None,
    concurrency: int = 8,
    retries: int = 5,
    chunk_lines: int = 500,
    progress: bool = True,
) -> Summary:
    summary = Summary()
    work = list(uploads(paths, chunk_lines))
    bar = tqdm(total=sum(u.count for u in work), unit="article", disable=not progress, file=sys.stderr)
    gate = asyncio.Semaphore(concurrency)
    headers = {"X-API-Key": api_key} if api_key else {}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:

        async def one(upload: Upload) -> None:
            async with gate:
                try:
                    response = await _send(client, upload, retries)
                except httpx.HTTPError as exc:
                    summary.rejected.append((upload.origin, f"not sent: {exc}"))
                else:
                    _record(summary, upload, response)
            bar.update(upload.count)

        await asyncio.gather(*(one(u) for u in work))
    bar.close()
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wirestream", description="Wirestream command line")
    commands = parser.add_subparsers(dest="command", required=True)
    push_cmd = commands.add_parser("push", help="push article files to the ingest API")
    push_cmd.add_argument("paths", nargs="+", type=Path)
    push_cmd.add_argument("--url", default=os.environ.get("WIRESTREAM_INGEST_URL", "http://127.0.0.1:8080"))
    push_cmd.add_argument("--api-key", default=os.environ.get("WIRESTREAM_API_KEY"))
    push_cmd.add_argument("--concurrency", type=int, default=8)
    push_cmd.add_argument("--retries", type=int, default=5)
    push_cmd.add_argument("--chunk-lines", type=int, default=500)
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        parser.error(f"no such file or folder: {', '.join(missing)}")
    summary = asyncio.run(
        push(
            args.paths,
            url=args.url,
            api_key=args.api_key,
            concurrency=args.concurrency,
            retries=args.retries,
            chunk_lines=args.chunk_lines,
        )
    )
    print(json.dumps({"accepted": summary.accepted, "rejected": len(summary.rejected)}))
    for where, why in summary.rejected:
        print(f"rejected {where}: {why}", file=sys.stderr)
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
