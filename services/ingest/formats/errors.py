"""The one error every parser raises: what is wrong and where."""

from __future__ import annotations


class FormatError(Exception):
    """A document the parsers cannot turn into an article.

    One type for every format lets the API answer all of them alike (a 422 whose
    `errors[]` carry `location` and `message`), so the location is kept apart from the
    message: "line 3", a field path such as "/sidebars/0/items/4/headline", "byte 17",
    or an XPath, whatever lets the sender find the spot in what they sent.
    """

    message: str
    location: str | None

    def __init__(self, message: str, location: str | None = None) -> None:
        super().__init__(message, location)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.message} (at {self.location})" if self.location else self.message

    def __eq__(self, other: object) -> bool:
        """Equal when they say the same thing at the same place (goldens and tests compare them)."""
        if not isinstance(other, FormatError):
            return NotImplemented
        return (self.message, self.location) == (other.message, other.location)

    def __hash__(self) -> int:
        return hash((self.message, self.location))
