"""Time zones by IANA name, for feed times that carry none."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.ingest.formats.errors import FormatError


def time_zone(name: str, location: str = "settings") -> ZoneInfo:
    """The zone called `name` ("UTC", "GMT" and "Z" included), or a FormatError at `location`.

    The default location is "settings": the source time zone is the operator's setting,
    so a bad one is our error, not the feed's. OSError covers names like "Europe", a folder.
    """
    try:
        return ZoneInfo("UTC" if name.upper() in ("UTC", "GMT", "Z") else name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise FormatError(f"unknown time zone {name!r}", location) from exc
