"""The pull's worker processes as bench-pull measures them: their ids while they run."""

from __future__ import annotations

import functools
import os

from channelhub.sandbox import Sandbox


def test_pids_are_the_running_workers() -> None:
    with Sandbox(2) as sandbox:
        assert sandbox.pids == []  # workers start on first use
        ran = set(sandbox.map([functools.partial(os.getpid) for _ in range(6)]))
        assert ran <= set(sandbox.pids) and len(sandbox.pids) == 2
        assert os.getpid() not in sandbox.pids
    assert sandbox.pids == []
