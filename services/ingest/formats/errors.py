"""The one error every parser raises: what is wrong and where (drawn with the others in
services/common/errors.py)."""

from __future__ import annotations

from services.common.errors import FormatError

__all__ = ["FormatError"]
