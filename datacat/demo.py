"""``datacat demo``: simulated apps using the real SDK, for trying the dashboard.

Each app is its own process, so its end is real: most end cleanly, one dies of an unhandled
exception, one vanishes (``os._exit``), one hangs for a while and recovers.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Callable

from .api import create_session

__all__ = ["run_demo", "SCENARIOS"]

PRODUCTS = [("SpaceMiner", "2.0.0"), ("SpaceMiner", "2.1.0"), ("QA-Rig", "1.3.0")]
SCENES = ["forest", "caves", "city", "orbit"]
SCENARIOS = ("normal", "crash", "normal", "hang", "normal", "vanish")
HANG_TIMEOUT = 3.0


def _frame(session, rng: random.Random, state: dict) -> None:
    """One simulated frame: state, metrics, a heartbeat, sometimes an event."""
    scene = rng.choice(SCENES)
    state["hp"] = max(0, min(100, state["hp"] + rng.randint(-15, 10)))
    session.update_state({"level": state["level"], "scene": scene, "player": {"hp": state["hp"]}})
    session.log_gauge("fps", rng.gauss(58, 4), unit="fps", tags={"scene": scene})
    session.log_histogram("frame_ms", rng.expovariate(1 / 16.0), unit="ms")
    session.log_counter("enemies_killed", rng.randint(0, 3))
    session.heartbeat()
    if state["hp"] == 0:
        session.log_event("player_died", {"level": state["level"], "scene": scene}, level="warning")
        state["hp"] = 100
    if rng.random() < 0.1:
        state["level"] += 1
        with session.timer("load_level"):
            time.sleep(rng.uniform(0.01, 0.05))  # the simulated app's own work
        session.log_event("level_up", {"level": state["level"]})


def play(scenario: str, product: str, version: str, seconds: float, seed: int) -> None:
    """One simulated app run; how it ends depends on ``scenario``."""
    rng = random.Random(seed)
    session = create_session(product, version, hang_timeout=HANG_TIMEOUT, tags={"env": "demo"},
                             watchdog=True)
    state = {"level": 1, "hp": 100}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        _frame(session, rng, state)
        time.sleep(0.2)  # the simulated app's frame pacing
        if scenario == "hang" and time.monotonic() > deadline - seconds / 2:
            scenario = "normal"
            time.sleep(HANG_TIMEOUT * 2)  # stuck in a long frame: hung, then recovered
    if scenario == "crash":
        raise RuntimeError(f"texture missing for level {state['level']}")
    if scenario == "vanish":
        session.flush()
        os._exit(3)
    session.end()


def run_demo(sessions: int = 6, seconds: float = 20.0, seed: int | None = None,
             progress: Callable[[int, str, str, int], None] | None = None) -> None:
    """Run ``sessions`` simulated apps as child processes for about ``seconds`` each.

    ``progress(done, scenario, product, exit_status)`` is called as each app finishes.
    The apps die with this process.
    """
    from .supervise import die_with_parent

    rng = random.Random(seed)
    children = {}
    for i in range(sessions):
        product, version = PRODUCTS[i % len(PRODUCTS)]
        scenario = SCENARIOS[i % len(SCENARIOS)]
        args = [scenario, product, version, str(seconds * rng.uniform(0.5, 1.0)),
                str(rng.randrange(2**31))]
        child = subprocess.Popen([sys.executable, "-m", "datacat.demo", *args],
                                 stderr=subprocess.DEVNULL, preexec_fn=die_with_parent(os.getpid()))
        children[child.pid] = (child, scenario, f"{product} {version}")
    for done in range(1, sessions + 1):
        pid, status = os.wait()
        child, scenario, product = children[pid]
        child.returncode = os.waitstatus_to_exitcode(status)
        if progress:
            progress(done, scenario, product, child.returncode)


if __name__ == "__main__":
    name, product, version, seconds, seed = sys.argv[1:6]
    play(name, product, version, float(seconds), int(seed))
