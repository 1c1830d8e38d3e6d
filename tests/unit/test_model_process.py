"""The NER model in its own process: the same mentions as in-process, and a dying child replaced."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from services.enrich.entities import Mention
from services.enrich.model_process import ModelFailure, ModelProcess, ModelUnavailable, _find_in_child
from services.enrich.ner_model import NerModel

TEXTS = [
    "WASHINGTON (AP) — President Joe Biden met Chancellor Olaf Scholz at the White House on Friday.",
    "Shares of Apple fell in New York after the company warned about sales in China.",
]
POISON = "This text makes the model process exit."


def _exit_on_poison(texts: list[str]) -> list[list[Mention] | ModelFailure]:
    """Runs in the child: dies like a crash in native code would, on the poison text only."""
    if POISON in texts:
        os._exit(1)
    return _find_in_child(texts)


@pytest.fixture(scope="module")
def in_process() -> list[list[Mention]]:
    return NerModel.load().mentions(TEXTS)


def test_the_child_finds_what_the_model_finds_in_process(in_process: list[list[Mention]]) -> None:
    model = ModelProcess()
    try:
        found = asyncio.run(model.mentions(TEXTS))
    finally:
        model.close()
    assert found == in_process
    assert any(m.text == "Olaf Scholz" and m.label == "PERSON" for m in found[0])


def test_a_killed_child_is_replaced_and_its_batch_read_again(in_process: list[list[Mention]]) -> None:
    async def scenario(model: ModelProcess) -> list[object]:
        await model.warm_up()
        (child,) = model._started()._processes.values()
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        return list(await model.mentions(TEXTS))

    model = ModelProcess()
    try:
        found = asyncio.run(scenario(model))
    finally:
        model.close()
    assert model.restarts == 1
    assert found == in_process


def test_a_text_that_kills_the_child_fails_alone(in_process: list[list[Mention]]) -> None:
    model = ModelProcess(find=_exit_on_poison)
    try:
        first, poisoned, last = asyncio.run(model.mentions([TEXTS[0], POISON, TEXTS[1]]))
    finally:
        model.close()
    assert first == in_process[0]
    assert isinstance(poisoned, ModelFailure)
    assert poisoned.error_class == "ModelProcessDied"
    assert last == in_process[1]
    assert model.restarts == 2, "once for the batch, once for the poison text alone"


def test_the_worker_itself_does_not_import_spacy() -> None:
    """The model lives in the child; spaCy in the worker too would cost ~100 MB for nothing."""
    probe = "import sys, services.enrich.app, services.enrich.__main__; print('spacy' in sys.modules)"
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "False"


def _always_exit(texts: list[str]) -> list[list[Mention] | ModelFailure]:
    os._exit(1)


def test_a_model_that_cannot_run_stops_the_worker_instead_of_failing_every_article() -> None:
    model = ModelProcess(find=_always_exit)
    try:
        with pytest.raises(ModelUnavailable):
            asyncio.run(model.mentions(TEXTS))
    finally:
        model.close()


def test_the_model_process_loads_nothing_of_the_pipeline_or_faust() -> None:
    """What a spawned child imports before its model: the main module and model_process."""
    probe = (
        "import sys, services.enrich.__main__, services.enrich.model_process; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'faust', 'datasketch', 'lingua', 'spacy'}))"
    )
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "[]"


def test_batches_queued_on_a_child_that_dies_are_all_read_again_by_one_new_child(
    in_process: list[list[Mention]],
) -> None:
    async def scenario(model: ModelProcess) -> list[list[object]]:
        await model.warm_up()
        batches = [asyncio.ensure_future(model.mentions(TEXTS * 40)) for _ in range(3)]
        await asyncio.sleep(0.1)  # the first batch is being read, the others wait behind it
        (child,) = model._started()._processes.values()
        os.kill(child.pid, signal.SIGKILL)
        return [list(found) for found in await asyncio.gather(*batches)]

    model = ModelProcess()
    try:
        results = asyncio.run(scenario(model))
    finally:
        model.close()
    assert results == [in_process * 40] * 3
    assert model.restarts == 1


def test_the_model_forgets_the_new_words_of_what_it_read() -> None:
    """Without the memory zone every new word would stay in the string store for good."""
    model = NerModel.load()
    before = len(model.nlp.vocab.strings)
    found = model.mentions(["Zyxquorblat Vennhaszkiwitz met Qworpleton Brabblesnatch in Flurbington."])
    assert found[0], "the model still finds the names"
    assert len(model.nlp.vocab.strings) == before


def test_the_child_runs_only_on_the_cpus_it_is_given() -> None:
    """`MODEL_CPUS` pins the model process alone: the worker keeps the CPUs it had."""

    async def scenario(model: ModelProcess) -> set[int]:
        await model.warm_up()
        (child,) = model._started()._processes.values()
        return os.sched_getaffinity(child.pid)

    mine = os.sched_getaffinity(0)
    last = max(mine)
    model = ModelProcess(cpus=frozenset({last}))
    try:
        assert asyncio.run(scenario(model)) == {last}
    finally:
        model.close()
    assert os.sched_getaffinity(0) == mine


def test_model_cpus_come_from_the_environment_and_must_be_the_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from services.enrich.settings import EnrichSettings

    last = (os.cpu_count() or 1) - 1
    monkeypatch.setenv("WIRESTREAM_ENRICH_MODEL_CPUS", f"[{last}]")
    mine = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {0})  # a worker pinned to other CPUs may still name the model's
        assert EnrichSettings().model_cpus == {last}
    finally:
        os.sched_setaffinity(0, mine)
    monkeypatch.setenv("WIRESTREAM_ENRICH_MODEL_CPUS", f"[{last + 1}]")
    with pytest.raises(ValidationError, match=rf"CPUs \[{last + 1}\] are not among"):
        EnrichSettings()
