"""Reading py-spy's collapsed stacks into hot spots."""

from __future__ import annotations

import pytest

from bench.profiling import hot_spots

MAIN = 'process 10:"python -m services.enrich"'
CHILD = 'process 11:"python -c from multiprocessing.spawn import spawn_main"'
RAW = "\n".join(
    [
        f"{MAIN};run (faust/worker.py);publish (services/enrich/app.py);link (services/enrich/linking.py) 30",
        f"{MAIN};run (faust/worker.py);publish (services/enrich/app.py);dumps (json/encoder.py) 10",
        f"{MAIN};{CHILD};_find_in_child (services/enrich/model_process.py);pipe (spacy/language.py) 60",
        "py-spy> a line that is not a stack",
    ]
)


def test_self_time_is_the_innermost_frame_and_shares_add_up() -> None:
    profile = hot_spots(RAW)
    assert profile.samples == 100
    assert [(h.frame, h.share) for h in profile.self_time] == [
        ("pipe (spacy/language.py)", 0.6),
        ("link (services/enrich/linking.py)", 0.3),
        ("dumps (json/encoder.py)", 0.1),
    ]
    assert profile.by_process == {"child 1": 0.6, "main": 0.4}


def test_inclusive_time_counts_only_the_projects_own_frames() -> None:
    inclusive = dict((h.frame, h.share) for h in hot_spots(RAW).own_inclusive)
    assert inclusive["publish (services/enrich/app.py)"] == pytest.approx(0.4)
    assert inclusive["_find_in_child (services/enrich/model_process.py)"] == pytest.approx(0.6)
    assert not any("faust/" in frame or "spacy/" in frame for frame in inclusive)


def test_entry_points_on_every_stack_are_left_out() -> None:
    entry = "<module> (services/enrich/__main__.py);main (services/enrich/__main__.py)"
    raw = f"{MAIN};{entry};link (services/enrich/linking.py) 5"
    assert [h.frame for h in hot_spots(raw).own_inclusive] == ["link (services/enrich/linking.py)"]


def test_an_empty_profile_has_no_shares() -> None:
    profile = hot_spots("")
    assert profile.samples == 0
    assert profile.self_time == []
