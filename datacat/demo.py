"""``datacat demo``: a few simulated apps using the real SDK, for trying the dashboard."""

from __future__ import annotations

import random
import threading
import time

from .api import create_session

__all__ = ["run_demo"]

PRODUCTS = [("SpaceMiner", "2.0.0"), ("SpaceMiner", "2.1.0"), ("QA-Rig", "1.3.0")]
SCENES = ["forest", "caves", "city", "orbit"]


def _play(product: str, version: str, seconds: float, rng: random.Random) -> None:
    with create_session(product, version, tags={"env": "demo"}) as session:
        deadline = time.monotonic() + seconds
        level, hp = 1, 100
        while time.monotonic() < deadline:
            scene = rng.choice(SCENES)
            hp = max(0, min(100, hp + rng.randint(-15, 10)))
            session.update_state({"level": level, "scene": scene, "player": {"hp": hp}})
            session.log_gauge("fps", rng.gauss(58, 4), unit="fps", tags={"scene": scene})
            session.log_histogram("frame_ms", rng.expovariate(1 / 16.0), unit="ms")
            session.log_counter("enemies_killed", rng.randint(0, 3))
            session.heartbeat()
            if hp == 0:
                session.log_event("player_died", {"level": level, "scene": scene}, level="warning")
                hp = 100
            if rng.random() < 0.1:
                level += 1
                with session.timer("load_level"):
                    time.sleep(rng.uniform(0.01, 0.05))  # the simulated app's own work
                session.log_event("level_up", {"level": level})
            if rng.random() < 0.02:
                try:
                    raise ValueError(f"texture missing in {scene}")
                except ValueError:
                    session.log_exception()
            time.sleep(0.2)  # the simulated app's frame pacing


def run_demo(sessions: int = 6, seconds: float = 20.0, seed: int | None = None) -> None:
    """Run ``sessions`` simulated apps concurrently for about ``seconds`` each, then end them."""
    rng = random.Random(seed)
    threads = [threading.Thread(target=_play, args=(*PRODUCTS[i % len(PRODUCTS)],
                                                     seconds * rng.uniform(0.5, 1.0),
                                                     random.Random(rng.random())))
               for i in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
