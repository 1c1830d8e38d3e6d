"""Byte-level mutations of fixture documents, for the parsers' property tests."""

from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st


@st.composite
def mutated_documents(draw: st.DrawFn, documents: list[Path], alphabet: str, max_span: int = 40) -> bytes:
    """A fixture with 1-4 edits: truncated, a tag or a span cut out, markup or bytes inserted."""
    data = draw(st.sampled_from(documents)).read_bytes()
    for _ in range(draw(st.integers(1, 4))):
        action = draw(
            st.sampled_from(["truncate", "delete_tag", "insert_text", "insert_bytes", "delete_span"])
        )
        at = draw(st.integers(0, len(data)))
        if action == "truncate":
            data = data[:at]
        elif action == "delete_tag":
            start = data.find(b"<", at)
            end = data.find(b">", start)
            if start >= 0 and end >= 0:
                data = data[:start] + data[end + 1 :]
        elif action == "insert_text":
            text = draw(st.text(alphabet=st.sampled_from(list(alphabet)), max_size=12))
            data = data[:at] + text.encode() + data[at:]
        elif action == "insert_bytes":
            data = data[:at] + draw(st.binary(max_size=8)) + data[at:]
        else:
            data = data[:at] + data[at + draw(st.integers(1, max_span)) :]
    return data
