"""Fitting what a page gave into the article contract, instead of refusing the article.

A page is refused only when it holds no article. When a secondary part breaks a limit of
the contract (a sidebar headline of 2,500 characters, a section crumb too long, a count
beyond what a browser reads exactly, a URL that is not one), that part is dropped; an
over-long headline is shortened and an over-long body list merged at its end, so no text
is lost. Each change becomes a warning on the article, saying where it was.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from schemas.article import ArticleSubmission
from services.text.headlines import shorten

Path = tuple[str | int, ...]
Where = Callable[[Path], str | None]  # a field path -> where the page had it, e.g. "line 21"

# Parts an article stands without: dropped when the contract refuses them.
_SECONDARY = frozenset(
    {
        "subheadline",
        "source",
        "canonical_url",
        "bylines",
        "contributors",
        "dateline",
        "published_at",
        "updated_at",
        "language",
        "body_html",
        "section",
        "tags",
        "reactions",
        "sidebars",
        "revision",
        "feed_item_id",
    }
)
_DEFAULTS: dict[str, Any] = {"source": {"name": "unknown"}, "revision": 1}
_MAPPINGS = frozenset({"reactions"})  # free-form keys: one bad entry goes, the others stay
_MAX_REPAIRS = 200  # each pass drops one part; a page breaking more limits than this is refused


@dataclass(frozen=True)
class Note:
    """A warning for the article, kept until the article exists to carry it."""

    code: str
    field: str | None
    message: str


def fitted_article(fields: dict[str, Any], notes: list[Note], where: Where) -> ArticleSubmission:
    """The article, with what the contract refuses in secondary parts dropped and each drop noted.

    Raises ValidationError when what is wrong is the article itself (no headline, no body).
    """
    for _ in range(_MAX_REPAIRS):
        try:
            article = ArticleSubmission.model_validate(fields)
        except ValidationError as exc:
            if not _repair(fields, exc.errors(include_url=False)[0], notes, where):
                raise
            continue
        for note in notes:
            article.warn(note.code, note.field, note.message)
        return article
    return ArticleSubmission.model_validate(fields)  # raises: too much to repair


def _repair(fields: dict[str, Any], error: ErrorDetails, notes: list[Note], where: Where) -> bool:
    path: Path = tuple(part for part in error["loc"] if part != "[key]")
    if not path:
        return False
    name = str(path[0])
    place = where(path)
    at = f"{place}: " if place else ""
    if name == "headline" and error["type"] == "string_too_long":
        limit = int(error.get("ctx", {}).get("max_length", 1000))
        fields["headline"] = shorten(fields["headline"], limit)
        notes.append(Note("headline-truncated", "headline", f"{at}longer than {limit} characters: shortened"))
        return True
    if name == "body" and len(path) == 1 and error["type"] == "too_long":
        limit = int(error.get("ctx", {}).get("max_length", 5000))
        body = fields["body"]
        fields["body"] = [*body[: limit - 1], " ".join(body[limit - 1 :])]
        notes.append(Note("body-merged", "body", f"more than {limit} paragraphs: the last ones merged"))
        return True
    if name not in _SECONDARY:
        return False
    _drop(fields, path, error)
    shown = "/".join(str(part) for part in path)
    notes.append(Note("field-invalid", name, f"{at}{shown}: {error['msg']}: dropped"))
    return True


def _drop(fields: dict[str, Any], path: Path, error: ErrorDetails) -> None:
    """Remove the innermost list item on the path, a mapping's entry, the overflow, or the field."""
    top = str(path[0])
    node: Any = fields.get(top)
    deepest: tuple[list[Any], int] | None = None
    for part in path[1:]:
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            deepest = (node, part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    value = fields.get(top)
    limit = error.get("ctx", {}).get("max_length")
    if deepest is not None:
        del deepest[0][deepest[1]]
    elif top in _MAPPINGS and isinstance(value, dict) and len(path) > 1 and path[1] in value:
        del value[path[1]]
    elif isinstance(value, list | dict) and error["type"] == "too_long" and isinstance(limit, int):
        fields[top] = value[:limit] if isinstance(value, list) else dict(list(value.items())[:limit])
    elif top in _DEFAULTS:
        fields[top] = copy.deepcopy(_DEFAULTS[top])
    elif isinstance(value, list | dict):
        fields[top] = type(value)()
    else:
        fields[top] = None
