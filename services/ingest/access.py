"""Ingest's operator pages (the API docs, the OpenAPI document, the metrics) behind the API key.

They are public by default, as a local run and a private network want them. An ingest
reachable from the internet tells a stranger its whole surface and its traffic through
them, so each group can be put behind the key: WIRESTREAM_INGEST_PUBLIC_DOCS=false,
WIRESTREAM_INGEST_PUBLIC_METRICS=false. Health probes always stay public, since an
orchestrator asks them without a key.

A plain ASGI wrapper rather than a route dependency: FastAPI serves the docs from routes
of its own, and a request to any other path passes through untouched, at no cost.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from services.ingest.auth import HEADER, authenticate
from services.ingest.problems import PROBLEM_JSON, Problem
from services.ingest.settings import IngestSettings

DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
METRICS_PATHS = frozenset({"/metrics"})


def limited_paths(settings: IngestSettings) -> frozenset[str]:
    """The operator pages that need a key under these settings (none while auth is off)."""
    if settings.auth_disabled:
        return frozenset()
    return (frozenset() if settings.public_docs else DOCS_PATHS) | (
        frozenset() if settings.public_metrics else METRICS_PATHS
    )


class OperatorPages:
    """Answers 401 (problem+json) on a limited path without a valid key; passes the rest on."""

    def __init__(self, app: ASGIApp, settings: IngestSettings) -> None:
        self.app = app
        self.settings = settings
        self.paths = limited_paths(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.paths:
            try:
                authenticate(Headers(scope=scope).get(HEADER), self.settings.api_keys, disabled=False)
            except Problem as problem:
                response = JSONResponse(
                    problem.body(scope["path"]), problem.status, problem.headers, media_type=PROBLEM_JSON
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
