"""Every error of the platform, in one tree: what a stage does with it follows from its branch.

    WirestreamError
    ├── Transient            a dependency is down or slow: keep the input, wait, try again
    │   ├── PublishUnavailable       Kafka did not acknowledge ingest's records in time
    │   └── ElasticsearchUnavailable Elasticsearch cannot take requests now
    ├── Permanent            this input fails the same way every time: refuse it (4xx) or
    │   │                    dead-letter it with this error's message, and go on
    │   ├── FormatError              a raw document no parser can turn into an article
    │   ├── RecordRejected           Kafka refused one of ingest's records
    │   ├── RecordTooLarge           a record its topic cannot take
    │   ├── Refused                  Elasticsearch refused a whole request for what it carries
    │   └── ModelFailure             the NER model failed on one text
    └── Misconfigured        the deployment cannot work as set up: stop, and say how to fix it
        ├── ModelUnavailable         the model process cannot run at all
        ├── ModelNotInstalled        no NER model package is installed
        └── MappingVersionMismatch   the write alias points at another mapping version

The retry-or-dead-letter decisions read these branches (`except Transient`), not lists of
classes. Errors of the libraries underneath (Kafka's, Elasticsearch's) are turned into
these where a stage decides; pydantic's ValidationError stays what it is: a Permanent
input error the stages dead-letter and ingest answers as a 422.
"""

from __future__ import annotations


class WirestreamError(Exception):
    """The root: anything the platform raises on purpose."""


class Transient(WirestreamError):
    """Worth trying again later with the same input."""


class Permanent(WirestreamError):
    """The same input fails again: refuse it or dead-letter it, never retry it."""


class Misconfigured(WirestreamError):
    """No input can succeed until the deployment is fixed."""


# --- transient -------------------------------------------------------------------------------------


class PublishUnavailable(Transient):
    """Kafka did not acknowledge in time, or cannot be reached: nothing may be claimed."""


class ElasticsearchUnavailable(Transient):
    """Elasticsearch cannot take requests now: it is down, the connection failed, or it refuses
    this client with a status no record can cause (401, 403, a wrong address)."""


# --- permanent -------------------------------------------------------------------------------------


class FormatError(Permanent):
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


class RecordRejected(Permanent):
    """Kafka refused this one record (e.g. too large); the others are unaffected."""


class RecordTooLarge(Permanent, ValueError):
    """A record its topic cannot take: the input it came from is a dead letter, not a retry."""


class Refused(Permanent):
    """Elasticsearch refused a whole request with a status its content can cause (a 400, a 413)."""

    def __init__(self, status: int, error_type: str, reason: str) -> None:
        super().__init__(f"{status} {error_type}: {reason}")
        self.status = status
        self.error_type = error_type
        self.reason = reason


class ModelFailure(Permanent):
    """An error of the model, as the child sends it back: its class name and its message.

    (The child's own exception may not survive pickling; these two strings always do.)
    """

    def __init__(self, error_class: str, message: str) -> None:
        super().__init__(error_class, message)
        self.error_class = error_class
        self.message = message

    def __str__(self) -> str:
        return self.message


# --- misconfigured ---------------------------------------------------------------------------------


class ModelUnavailable(Misconfigured, RuntimeError):
    """The model cannot run at all: the worker must stop rather than fail every article."""


class ModelNotInstalled(Misconfigured, RuntimeError):
    """None of the model packages is installed; the worker must not download one."""


class MappingVersionMismatch(Misconfigured):
    """The write alias points at an index of another mapping version: a reindex has to move it first."""
