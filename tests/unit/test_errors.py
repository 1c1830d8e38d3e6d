"""The platform's errors are drawn in one place, under one root, each on a branch that says what to do."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import services.common.errors as errors
from services.common.errors import Misconfigured, Permanent, Transient, WirestreamError

SERVICES = Path(__file__).resolve().parents[2] / "services"
# An HTTP answer, not an error of the pipeline: it carries its own status for the client.
ANSWERS = {"Problem"}


def _exception_classes_outside_errors_module() -> list[str]:
    found = []
    for path in SERVICES.rglob("*.py"):
        if path == Path(errors.__file__):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.name not in ANSWERS:
                bases = {ast.unparse(base) for base in node.bases}
                if any(base.endswith(("Exception", "Error")) for base in bases):
                    found.append(f"{path.relative_to(SERVICES)}:{node.name}")
    return found


def test_no_exception_class_is_defined_outside_the_errors_module() -> None:
    assert _exception_classes_outside_errors_module() == []


def test_every_error_is_on_exactly_one_branch_of_the_root() -> None:
    branches = (Transient, Permanent, Misconfigured)
    for _, cls in inspect.getmembers(errors, inspect.isclass):
        if cls in (WirestreamError, *branches) or not issubclass(cls, BaseException):
            continue
        assert issubclass(cls, WirestreamError), cls
        assert sum(issubclass(cls, branch) for branch in branches) == 1, cls


def test_the_modules_that_raise_them_still_name_them() -> None:
    from services.enrich.model_process import ModelFailure
    from services.index.bulk_writer import ElasticsearchUnavailable
    from services.ingest.formats.errors import FormatError

    assert issubclass(FormatError, Permanent)
    assert issubclass(ElasticsearchUnavailable, Transient)
    assert issubclass(ModelFailure, Permanent)
