"""Hypothesis: random exploration on developer machines, a fixed sequence in CI.

Property tests search for crashes; a developer's run keeps finding new inputs, while CI
(CI=true) replays the same derandomised examples so that a landing never depends on luck.
Anything a developer's run finds becomes a regression test of its own.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
