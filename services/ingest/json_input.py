"""JSON bodies read with a bound on their nesting: pure.

Python's parser recurses once per level and fails with RecursionError at about a
thousand; that error must never escape as a 500. A bound far below it, and far above
any article's five levels, answers such a body with a precise 400 instead.
"""

from __future__ import annotations

import json
from typing import Any

from schemas.limits import MAX_JSON_DEPTH
from services.ingest import problems


def load_json(data: bytes) -> Any:
    """The parsed body, or a Problem: malformed JSON, or nesting deeper than MAX_JSON_DEPTH."""
    try:
        value = json.loads(data)
    except RecursionError as exc:
        raise problems.too_deep(MAX_JSON_DEPTH) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise problems.malformed_json(str(exc)) from exc
    if depth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise problems.too_deep(MAX_JSON_DEPTH)
    return value


def depth(value: Any, limit: int) -> int:
    """Levels of arrays and objects in `value`, counted no further than `limit` + 1.

    Iterative, over containers only: a wide article costs one step per list or object.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if not isinstance(node, dict | list):
            continue
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest
