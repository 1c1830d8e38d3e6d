"""IPTC ninjs (News in JSON) documents, versions 1.x, 2.x and 3.x, to article submissions.

What a document may be:

- one ninjs item (a JSON object): one article. Its `associations` (pictures, related
  items, package members) are *not* emitted as articles of their own: in practice they
  are media or references whose text, when there is any, repeats or belongs to the
  item that carries them, and emitting them would create half-articles. A feed that
  wants several articles in one request sends them as a list (next point).
- a JSON array of ninjs items, or an object `{"items": [...]}`: one entry per item, in
  order. A bad item becomes a FormatError entry (its location prefixed with the item's
  index, e.g. `/1/headlines/0/value`); the other items still parse.

A problem with the document as a whole (not decodable, not JSON, neither an object nor
an array, an explicit but unsupported ninjs version on a single item) raises
FormatError with location "document" or a JSON Pointer.

Validation: official-schema validation pending: vendor the IPTC schemas under
schemas/vendor/ninjs when available. Until then each version is checked by pydantic
models of our own covering only the fields mapped here (types checked, strict: a
number is not a string; unknown fields allowed). The field-by-field mapping for feed
owners is in docs/formats/ninjs.md; keep the two in step.
"""

from __future__ import annotations

import codecs
import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from schemas.article import ArticleSubmission
from services.ingest.formats.decoding import decode_text
from services.ingest.formats.errors import FormatError
from services.ingest.formats.items import ParsedItem, Withdrawal
from services.ingest.formats.salvage import Repairs, fill_text, salvaged, take_date
from services.ingest.formats.zones import time_zone
from services.text.dateline import strip_lede_dateline

Version = Literal["1", "2", "3"]
DEFAULT_SOURCE = "ninjs"
WITHDRAWN_STATUSES = ("canceled", "cancelled", "withheld")
PLAIN_TYPES = ("text/plain", "")  # a text block without a content type is taken as plain text
HTML_TYPES = ("text/html", "application/xhtml+xml")

# Keys that only one generation of ninjs uses; they decide the version when no hint is given.
_V3_KEYS = frozenset(
    {
        "versionCreated",
        "firstCreated",
        "contentCreated",
        "pubStatus",
        "altIds",
        "copyrightHolder",
        "copyrightNotice",
        "usageTerms",
        "infoSources",
        "trustIndicators",
        "rightsInfo",
    }
)
_V2_KEYS = frozenset(
    {
        "headlines",
        "bodies",
        "descriptions",
        "by",
        "subjects",
        "people",
        "organisations",
        "places",
        "events",
        "infosources",
        "contentcreated",
    }
)
_V1_KEYS = frozenset(
    {
        "headline",
        "body_text",
        "body_html",
        "byline",
        "description_text",
        "description_html",
        "subject",
        "person",
        "organisation",
        "place",
        "event",
    }
)
# Shared by 1.x and 2.x: enough to call an object ninjs, not to tell which.
_LOWER_KEYS = frozenset({"uri", "versioncreated", "firstcreated", "pubstatus", "located", "altids"})
_SCHEMA_VERSION = re.compile(r"ninjs[^0-9]*?(\d+)(?:[._](?:\d+|x))?", re.IGNORECASE)
_HINT_KEYS = ("ninjs-version", "ninjsVersion", "ninjs_version")
_BY_PREFIX = re.compile(r"^\s*(?:by|von|par|por)\s+", re.IGNORECASE)  # "By", and German, French, Spanish
_BY_SPLIT = re.compile(r"\s*(?:;|\s&\s|\band\b)\s*")
_TAG = re.compile(r"<[^>]*>")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
_URL = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)
_CANONICAL_ROLES = ("canonical", "url", "web", "weburl", "link", "permalink")
# Fields whose refusal is the item's own: without them there is no article.
_PRIMARY_KEYS = frozenset({"headline", "headlines", "body_text", "body_html", "body_xhtml", "bodies"})


# --- validation models: only what is mapped, types checked, anything else allowed -------------


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=False)


class _Named(_Open):
    """A subject, person, organisation, place or event: only its name becomes a tag."""

    name: StrictStr | None = None


class _Text(_Open):
    """A headline, body or description block (2.x spelling)."""

    value: StrictStr
    contenttype: StrictStr | None = None
    role: StrictStr | None = None


class _Text3(_Text):
    contenttype: StrictStr | None = Field(None, alias="contentType")


class _AltId(_Open):
    value: StrictStr
    role: StrictStr | None = None


class _InfoSource(_Open):
    name: StrictStr | None = None
    role: StrictStr | None = None


class _Common(_Open):
    uri: StrictStr | None = None
    version: StrictStr | StrictInt | None = None
    versioncreated: StrictStr | None = None
    firstcreated: StrictStr | None = None
    pubstatus: StrictStr | None = None
    language: StrictStr | None = None
    located: StrictStr | None = None
    copyrightholder: StrictStr | None = None
    # ninjs 1.x gives an object {name: id}; 2.x and 3.x a list of {role, value}. Either is read.
    altids: dict[str, StrictStr] | list[_AltId] | None = None


class _Ninjs1(_Common):
    headline: StrictStr | None = None
    byline: StrictStr | None = None
    body_text: StrictStr | None = None
    body_html: StrictStr | None = None
    body_xhtml: StrictStr | None = None  # 1.4 and later; Business Wire sends only this
    description_text: StrictStr | None = None
    description_html: StrictStr | None = None
    subject: list[_Named] = []
    person: list[_Named] = []
    organisation: list[_Named] = []
    place: list[_Named] = []
    event: list[_Named] = []


class _Ninjs2(_Common):
    headlines: list[_Text] = []
    bodies: list[_Text] = []
    descriptions: list[_Text] = []
    by: StrictStr | None = None
    subjects: list[_Named] = []
    people: list[_Named] = []
    organisations: list[_Named] = []
    places: list[_Named] = []
    events: list[_Named] = []
    infosources: list[_InfoSource] = []


class _Ninjs3(_Ninjs2):
    versioncreated: StrictStr | None = Field(None, alias="versionCreated")
    firstcreated: StrictStr | None = Field(None, alias="firstCreated")
    pubstatus: StrictStr | None = Field(None, alias="pubStatus")
    copyrightholder: StrictStr | None = Field(None, alias="copyrightHolder")
    altids: dict[str, StrictStr] | list[_AltId] | None = Field(None, alias="altIds")
    headlines: list[_Text3] = []  # type: ignore[assignment]
    bodies: list[_Text3] = []  # type: ignore[assignment]
    descriptions: list[_Text3] = []  # type: ignore[assignment]
    infosources: list[_InfoSource] = Field([], alias="infoSources")


_MODELS: dict[Version, type[_Common]] = {"1": _Ninjs1, "2": _Ninjs2, "3": _Ninjs3}
_VERSIONS: dict[str, Version] = {"1": "1", "2": "2", "3": "3"}


# --- the item once validated, in one shape whatever the version ---------------------------------


@dataclass(frozen=True)
class _Block:
    value: str
    contenttype: str
    role: str
    path: str


@dataclass
class _Item:
    """A validated ninjs item flattened to what is mapped, each value with its ninjs path."""

    model: _Common
    names: dict[str, str]  # our attribute -> ninjs field name in this version
    headlines: list[_Block] = field(default_factory=list)
    bodies: list[_Block] = field(default_factory=list)
    descriptions: list[_Block] = field(default_factory=list)
    byline: tuple[str, str] | None = None
    tags: list[str] = field(default_factory=list)
    infosources: list[str] = field(default_factory=list)


def _ninjs_name(model: type[BaseModel], attribute: str) -> str:
    info = model.model_fields[attribute]
    return info.alias or attribute


def _blocks(blocks: Sequence[_Text], name: str) -> list[_Block]:
    return [
        _Block(
            b.value,
            (b.contenttype or "").split(";")[0].strip().lower(),
            (b.role or "").lower(),
            f"/{name}/{i}/value",
        )
        for i, b in enumerate(blocks)
    ]


def _flatten(model: _Common) -> _Item:
    kind = type(model)
    names = {a: _ninjs_name(kind, a) for a in kind.model_fields}
    item = _Item(model=model, names=names)
    if isinstance(model, _Ninjs1):
        if model.headline is not None:
            item.headlines = [_Block(model.headline, "text/plain", "", "/headline")]
        if model.body_text is not None:
            item.bodies.append(_Block(model.body_text, "text/plain", "", "/body_text"))
        if model.body_html is not None:
            item.bodies.append(_Block(model.body_html, "text/html", "", "/body_html"))
        if model.body_xhtml is not None:
            item.bodies.append(_Block(model.body_xhtml, "application/xhtml+xml", "", "/body_xhtml"))
        if model.description_text is not None:
            item.descriptions = [_Block(model.description_text, "text/plain", "", "/description_text")]
        if model.description_html is not None:
            item.descriptions.append(_Block(model.description_html, "text/html", "", "/description_html"))
        if model.byline is not None:
            item.byline = (model.byline, "/byline")
        groups: Iterable[list[_Named]] = (
            model.subject,
            model.person,
            model.organisation,
            model.place,
            model.event,
        )
    elif isinstance(model, _Ninjs2):
        item.headlines = _blocks(model.headlines, names["headlines"])
        item.bodies = _blocks(model.bodies, names["bodies"])
        item.descriptions = _blocks(model.descriptions, names["descriptions"])
        if model.by is not None:
            item.byline = (model.by, "/by")
        groups = (model.subjects, model.people, model.organisations, model.places, model.events)
        item.infosources = [s.name.strip() for s in model.infosources if s.name and s.name.strip()]
    else:  # pragma: no cover - every model is one of the two families
        groups = ()
    item.tags = _tags(n.name for group in groups for n in group if n.name)
    return item


def _tags(names: Iterable[str]) -> list[str]:
    """Names as tags: trimmed, first occurrence kept, cut to the contract's 200 characters and 200 tags."""
    seen: dict[str, None] = {}
    for name in names:
        tag = " ".join(name.split())[:200].strip()
        if tag and tag.casefold() not in {t.casefold() for t in seen}:
            seen[tag] = None
    return list(seen)[:200]


# --- version detection --------------------------------------------------------------------------


def _hinted_version(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    """The major version the document declares, and where: `$schema`, `standard`, or a version key."""
    schema = obj.get("$schema")
    if isinstance(schema, str) and "ninjs" in schema.lower():
        match = _SCHEMA_VERSION.search(schema)
        if match:
            return match.group(1), "/$schema"
    standard = obj.get("standard")
    if isinstance(standard, Mapping) and str(standard.get("name", "")).lower() == "ninjs":
        declared = standard.get("version")
        if isinstance(declared, str | int) and not isinstance(declared, bool):
            return str(declared).split(".")[0].strip(), "/standard/version"
    for key in _HINT_KEYS:
        declared = obj.get(key)
        if isinstance(declared, str | int) and not isinstance(declared, bool):
            return str(declared).split(".")[0].strip(), f"/{_escape(key)}"
    return None


def detect_version(obj: Mapping[str, Any]) -> Version:
    """ "1", "2" or "3" for a ninjs item; FormatError when it declares another or looks like none.

    An explicit hint wins (a `$schema` URL naming ninjs, `standard: {name: ninjs, version}`,
    or a `ninjs-version` key). Otherwise the field names decide: any camelCase 3.x name
    (`versionCreated`, `pubStatus`, `altIds`, ...) means 3; any plural 2.x name (`headlines`,
    `bodies`, `by`, `subjects`, ...) means 2; any 1.x name (`headline`, `body_text`,
    `byline`, ...) or only names shared by 1.x and 2.x (`uri`, `versioncreated`) mean 1.
    """
    hint = _hinted_version(obj)
    if hint is not None:
        major, location = hint
        if major in _VERSIONS:
            return _VERSIONS[major]
        raise FormatError(f"unsupported ninjs version {major!r}", location)
    keys = set(obj)
    if keys & _V3_KEYS:
        return "3"
    if keys & _V2_KEYS:
        return "2"
    if keys & (_V1_KEYS | _LOWER_KEYS):
        return "1"
    raise FormatError("not a ninjs item: none of its fields is a ninjs field", "")


# --- decoding -----------------------------------------------------------------------------------


def _text(data: bytes, charset: str | None) -> str:
    """Declared charset and BOMs via decode_text; BOM-less UTF-16/32 as RFC 4627 detects it."""
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32")):
        if data.startswith(bom):
            return _strict_decode(data, encoding)
    if (
        charset is None
        and b"\x00" in data[:4]
        and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    ):
        return _strict_decode(data, json.detect_encoding(data))
    return decode_text(data, charset)


def _strict_decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not valid {encoding}: {exc.reason}", f"byte {exc.start}") from exc


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _load(data: bytes, charset: str | None) -> Any:
    text = _text(data, charset)
    try:
        return json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise FormatError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", "document") from exc
    except (ValueError, RecursionError) as exc:  # NaN/Infinity, oversized integers, absurd nesting
        raise FormatError(f"not acceptable JSON: {exc}", "document") from exc


# --- mapping ------------------------------------------------------------------------------------


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _pointer(obj: Any, loc: Sequence[int | str]) -> str:
    """A pydantic error location as a JSON Pointer into the input, without pydantic's union tags."""
    parts: list[str] = []
    node = obj
    for step in loc:
        if isinstance(node, Mapping) and isinstance(step, str) and step in node:
            node = node[step]
            parts.append(_escape(step))
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
            parts.append(str(step))
        elif isinstance(node, Mapping | list):
            continue  # a union member's tag ('list[_AltId]'), not a place in the document
        else:
            break
    return "/" + "/".join(parts)


def _plain(text: str) -> str:
    """Text of an HTML headline: tags dropped, entities resolved, spaces collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())


def _pick(blocks: list[_Block], types: Sequence[str], roles: Sequence[str] = ("", "main")) -> _Block | None:
    """The first block of one of `types`, preferring the main role (none given counts as main)."""
    matching = [b for b in blocks if b.contenttype in types and b.value.strip()]
    return next((b for b in matching if b.role in roles), matching[0] if matching else None)


def _paragraphs(text: str) -> list[str]:
    """Blank lines separate paragraphs when there are any (inner line breaks are wrapping);
    otherwise every line is a paragraph, as agencies that send one line per paragraph do."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _BLANK_LINE.search(text):
        chunks = (" ".join(chunk.split()) for chunk in _BLANK_LINE.split(text))
    else:
        chunks = (" ".join(line.split()) for line in text.split("\n"))
    return [chunk for chunk in chunks if chunk]


def _bylines(text: str) -> list[dict[str, str]]:
    """`By A and B`, `A, B & C`, `A; B` -> one contributor each, role "writer".

    Commas separate names only in a list that also has a conjunction ("A, B and C"); with
    no conjunction the first comma starts a description of the one writer ("Jane Doe,
    Harbour Correspondent"), kept as the role.
    """
    text = " ".join(_BY_PREFIX.sub("", text).split())
    if not text:
        return []
    parts = [p for p in _BY_SPLIT.split(text) if p.strip(" ,")]
    if len(parts) > 1:
        names = [n.strip() for p in parts for n in p.split(",") if n.strip()]
        return [{"name": n[:2000], "role": "writer"} for n in names[:50]]
    name, _, description = text.partition(",")
    role = description.strip()[:200] or "writer"
    return [{"name": name.strip()[:2000], "role": role}] if name.strip() else []


def _canonical_url(item: _Item) -> tuple[str, str] | None:
    """A web URL among the alternative ids, one whose role says canonical/url first."""
    altids = item.model.altids
    name = item.names["altids"]
    if isinstance(altids, dict):
        candidates = [
            (role.lower(), value.strip(), f"/{name}/{_escape(role)}") for role, value in altids.items()
        ]
    elif isinstance(altids, list):
        candidates = [
            ((a.role or "").lower(), a.value.strip(), f"/{name}/{i}/value") for i, a in enumerate(altids)
        ]
    else:
        return None
    urls = [(role, value, path) for role, value, path in candidates if _URL.match(value)]
    for role, value, path in urls:
        if role in _CANONICAL_ROLES:
            return value, path
    return (urls[0][1], urls[0][2]) if urls else None


def _source(item: _Item) -> tuple[str, str | None]:
    """Who published it: the copyright holder, else the first named info source, else "ninjs".

    The copyright holder is the agency that owns the story and stays the same across its
    revisions, which the article id (source + item uri) needs; an info source is the next
    best; a `provider` string or {name}, or Superdesk's `source` (not ninjs, but seen in the wild)
    after that.
    """
    holder = item.model.copyrightholder
    if holder and holder.strip():
        return holder.strip()[:2000], f"/{item.names['copyrightholder']}"
    if item.infosources:
        return item.infosources[0][:2000], f"/{item.names['infosources']}/0/name"
    extra = item.model.model_extra or {}
    provider = extra.get("provider") or extra.get("source")  # `source`: Superdesk's ninjs
    if isinstance(provider, Mapping):
        provider = provider.get("name")
    if isinstance(provider, str) and provider.strip():
        return provider.strip()[:2000], "/provider" if "provider" in extra else "/source"
    return DEFAULT_SOURCE, None


def _revision(item: _Item, repairs: Repairs) -> int:
    """The item's `version`; one that is not a positive whole number counts as 1 (said)."""
    raw = item.model.version
    if raw is None:
        return 1
    text = str(raw).strip()
    if not text.isdigit() or int(text) < 1:
        repairs.note("field-invalid", "revision", f"/version {raw!r} is not a positive whole number: 1 used")
        return 1
    return int(text)


def _validated_model(obj: Mapping[str, Any], version: Version, repairs: Repairs) -> _Common:
    """The item read by its version's model; a secondary field of the wrong type is dropped (said).

    Only a wrong headline or body is the item's error: without them there is no article.
    """
    current = dict(obj)
    while True:
        try:
            return _MODELS[version].model_validate(current)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            key = str(first["loc"][0]) if first["loc"] else ""
            pointer = _pointer(current, first["loc"])
            if key in _PRIMARY_KEYS or key not in current:
                raise FormatError(f"ninjs {version}: {first['msg']}", pointer) from exc
            del current[key]
            repairs.note("field-invalid", key, f"{pointer} refused ({first['msg']}): /{key} dropped")


def _to_item(obj: Mapping[str, Any], version: Version, zone: ZoneInfo) -> ArticleSubmission | Withdrawal:
    repairs = Repairs()
    item = _flatten(_validated_model(obj, version, repairs))
    origins: dict[str, str] = {}  # submission field -> the ninjs path it came from
    fields = {**_identity(item, origins, repairs), **_times(item, zone, repairs, origins)}
    status = (item.model.pubstatus or "").strip().lower()
    if status in WITHDRAWN_STATUSES:
        return _withdrawal(fields, status)
    fields.update(_content(item, fields["headline"], origins))
    if not fill_text(fields, repairs):
        raise FormatError("no headline and no body text: no article here", f"/{_body_name(version)}")
    try:
        return salvaged(fields, repairs)
    except ValidationError as exc:
        raise _located(exc, origins, version) from exc


def _identity(item: _Item, origins: dict[str, str], repairs: Repairs) -> dict[str, Any]:
    """What names the item: headline, source, URL, item id and revision."""
    plain = _pick(item.headlines, PLAIN_TYPES) or _pick(item.headlines, HTML_TYPES)
    chosen = plain or next((h for h in item.headlines if h.value.strip()), None)
    if chosen:
        origins["headline"] = chosen.path
    source, source_path = _source(item)
    if source_path:
        origins["source"] = source_path
    url = _canonical_url(item)
    if url:
        origins["canonical_url"] = url[1]
    item_id = _item_id(item, origins)
    return {
        "headline": _plain(chosen.value) if chosen else "",
        "source": {"name": source},
        "canonical_url": url[0] if url else None,
        "feed_item_id": item_id,
        "revision": _revision(item, repairs),
    }


def _item_id(item: _Item, origins: dict[str, str]) -> str | None:
    """`uri`, else `guid` (Superdesk's ninjs names the item so)."""
    guid = (item.model.model_extra or {}).get("guid")
    for value, path in ((item.model.uri, f"/{item.names['uri']}"), (guid, "/guid")):
        if isinstance(value, str) and value.strip():
            origins["feed_item_id"] = path
            return value.strip()
    return None


def _times(item: _Item, zone: ZoneInfo, repairs: Repairs, origins: dict[str, str]) -> dict[str, Any]:
    """Published (firstcreated, else versioncreated) and updated (versioncreated), when readable."""
    names = item.names
    dates: dict[str, datetime] = {}
    for attr in ("firstcreated", "versioncreated"):
        moment = take_date(
            getattr(item.model, attr),
            zone,
            repairs,
            field_name="published_at" if attr == "firstcreated" else "updated_at",
            element=f"/{names[attr]}",
            languages=[item.model.language],
        )
        if moment is not None:
            dates[attr] = moment
    first = "firstcreated" if "firstcreated" in dates else "versioncreated"
    if first in dates:
        origins["published_at"] = f"/{names[first]}"
    if "versioncreated" in dates:
        origins["updated_at"] = f"/{names['versioncreated']}"
    return {"published_at": dates.get(first), "updated_at": dates.get("versioncreated")}


def _withdrawal(fields: Mapping[str, Any], status: str) -> Withdrawal:
    """A canceled or withheld item: its id is all it needs (ninjs kill notices carry little else)."""
    try:
        return Withdrawal(
            source=fields["source"]["name"],
            reason=f"pubstatus {status}",
            headline=fields["headline"],
            published_at=fields["published_at"],
            feed_item_id=fields["feed_item_id"],
            url=fields["canonical_url"],
            revision=fields["revision"],
        )
    except ValueError as exc:
        raise FormatError(
            "a withdrawal must name its item: give uri, a URL altid, or a headline and a date", "/uri"
        ) from exc


def _content(item: _Item, headline: str, origins: dict[str, str]) -> dict[str, Any]:
    """The article's text and what describes it."""
    model, names = item.model, item.names
    text = _pick(item.bodies, PLAIN_TYPES)
    markup = _pick(item.bodies, HTML_TYPES)
    body = _paragraphs(text.value) if text else []
    if text:
        origins["body"] = text.path
    if markup:
        origins["body_html"] = markup.path
    dateline = model.located.strip() if model.located and model.located.strip() else None
    if dateline:
        origins["dateline"] = f"/{names['located']}"
    lede_dateline, body = strip_lede_dateline(body)
    second = _second_headline(item, headline)
    if second:
        origins["subheadline"] = second.path
    if item.byline:
        origins["bylines"] = item.byline[1]
    if model.language is not None:
        origins["language"] = f"/{names['language']}"
    return {
        "subheadline": (_plain(second.value) or None) if second else None,
        "bylines": _bylines(item.byline[0]) if item.byline else [],
        "dateline": dateline or lede_dateline,
        "language": model.language,
        "body": body,
        "body_html": markup.value if markup else None,
        "tags": item.tags,
    }


def _second_headline(item: _Item, headline: str) -> _Block | None:
    """A sub-headline: a headline marked as one, another headline, else a description."""
    others = [h for h in item.headlines if _plain(h.value) and _plain(h.value) != headline]
    second = next((h for h in others if h.role in ("sub", "subheadline", "subtitle")), None)
    second = second or (others[0] if others else None) or _pick(item.descriptions, PLAIN_TYPES)
    return second or _pick(item.descriptions, HTML_TYPES)


def _located(exc: ValidationError, origins: Mapping[str, str], version: Version) -> FormatError:
    """The contract's refusal of the article itself, at the ninjs field it came from."""
    first = exc.errors(include_url=False)[0]
    loc = first["loc"]
    target = str(loc[0]) if loc else _named_first(first["msg"], origins)
    where = origins.get(target, "" if target != "body" else f"/{_body_name(version)}")
    message = f"the item gives an invalid {target}: {first['msg']}" if loc else first["msg"]
    return FormatError(message, where)


def _named_first(message: str, origins: Mapping[str, str]) -> str:
    """The field an article-wide error is about: the one its message names first ("body" if none)."""
    named = [(message.find(name), name) for name in origins if name in message]
    return min(named)[1] if named else "body"


def _body_name(version: Version) -> str:
    return "body_text" if version == "1" else "bodies"


# --- the document -------------------------------------------------------------------------------


def _items(document: Any) -> tuple[list[Any], str]:
    """The items a document holds and the pointer prefix of their locations."""
    if isinstance(document, list):
        return document, ""
    if isinstance(document, dict):
        if "items" in document and not (set(document) & (_V1_KEYS | _V2_KEYS | _V3_KEYS | {"uri"})):
            if not isinstance(document["items"], list):
                raise FormatError("'items' must be an array of ninjs items", "/items")
            return document["items"], "/items"
        return [document], ""
    raise FormatError(f"a ninjs document is an object or an array, not {type(document).__name__}", "document")


def parse_ninjs(data: bytes, *, charset: str | None = None, source_timezone: str = "UTC") -> list[ParsedItem]:
    """One entry per item: ArticleSubmission, Withdrawal (pubstatus canceled/withheld) or FormatError.

    Naive date-times are read in `source_timezone`. Raises FormatError for a document
    that cannot be read at all (see the module docstring).
    """
    zone = time_zone(source_timezone)
    document = _load(data, charset)
    items, prefix = _items(document)
    single = isinstance(document, dict) and not prefix
    if single:
        try:  # an unknown or unsupported version is the document's problem
            detect_version(document)
        except FormatError as exc:
            raise FormatError(exc.message, exc.location or "document") from exc
    results: list[ParsedItem] = []
    for index, obj in enumerate(items):
        here = "" if single else f"{prefix}/{index}"
        try:
            if not isinstance(obj, dict):
                raise FormatError(f"a ninjs item is an object, not {type(obj).__name__}", "")
            results.append(_to_item(obj, detect_version(obj), zone))
        except FormatError as exc:
            results.append(FormatError(exc.message, (here + (exc.location or "")) or "/"))
    return results
