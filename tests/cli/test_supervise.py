"""The supervisor restarts a part that dies, and gives up on one that keeps failing at once."""

from __future__ import annotations

import sys

import pytest

from datacat.supervise import MAX_FAST_FAILURES, Child, GaveUp, Supervisor


def test_a_part_failing_fast_again_and_again_is_given_up_on(tmp_path, capfd):
    starts = tmp_path / "starts"
    failing = Child("flaky", [sys.executable, "-c",
                              f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(3)"])
    steady = Child("steady", [sys.executable, "-c", "import time; time.sleep(60)"])
    supervisor = Supervisor([failing, steady], grace=5, backoff=0.05)
    supervisor.start()
    with pytest.raises(GaveUp, match=f"flaky exited \\(3\\) {MAX_FAST_FAILURES} times in a row"):
        supervisor.watch()
    assert len(starts.read_text()) == MAX_FAST_FAILURES  # the first start and the restarts
    assert not steady.alive()  # giving up stops the whole stack
    assert capfd.readouterr().err.count("flaky exited (3)") == MAX_FAST_FAILURES - 1
