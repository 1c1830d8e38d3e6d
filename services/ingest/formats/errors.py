"""The one error every parser raises: what is wrong and where."""

from __future__ import annotations


class FormatError(Exception):
    def __init__(self, message: str, location: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location  # "line 3", a field path, or an XPath

    def __str__(self) -> str:
        return f"{self.message} (at {self.location})" if self.location else self.message
