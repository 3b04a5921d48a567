"""The apps the browser tests feed through the real pipeline (SDK → daemon → broker → store)."""

from __future__ import annotations

__all__ = ["EVIL", "EVIL_VERSION", "GAME", "CRASH", "HANG", "XSS", "LIVE"]

#: A product name and version that must render as text everywhere.
EVIL = "<script>alert(1)</script>"
EVIL_VERSION = "<img src=x onerror=alert(2)>"

#: A game session: three state changes, each stored before the next is made (so the
#: daemon cannot merge them into one window), events of several levels, one metric of
#: each type; ends cleanly. Arguments: product, version, the web URL.
GAME = """
import json, sys, time, urllib.request
import datacat
product, version, url = sys.argv[1:4]
s = datacat.create_session(product, version, tags={"env": "e2e"})
print(s.id, flush=True)

def stored(changes):
    s.flush()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/api/v1/sessions/{s.id}", timeout=5) as answer:
                if json.load(answer)["history_count"] >= changes:
                    return
        except OSError:
            pass
        time.sleep(0.05)  # polling pace
    raise SystemExit(f"state change {changes} never stored")

s.update_state({"level": 1, "player": {"hp": 100, "name": "ada"}})
s.log_event("boot", {"ok": True}, message="started")
stored(1)
s.update_state({"player": {"hp": 80}, "scene": "forest"})
base = 40.0 + 6 * (sum(map(ord, product + version)) % 4)  # each build runs at its own speed
for i in range(30):
    s.log_event("tick", {"i": i}, level=("debug", "info", "warning")[i % 3], category="loop",
                message=f"tick {i}")
    s.log_gauge("fps", base + i % 7, unit="fps")
    s.log_counter("kills", 1)
    s.log_histogram("frame_ms", 4.0 + i, unit="ms")
with s.timer("load_level"):
    time.sleep(0.01)
stored(2)
s.log_event("level_up", {"level": 2}, level="info")
s.update_state({"level": 2, "player": {"name": None}})
s.log_event("save_failed", {"free_mb": 0}, level="error", category="io", message="disk full")
s.end()
"""

#: An unhandled exception: the SDK's hook marks the session crashed with the traceback.
CRASH = """
import datacat
s = datacat.create_session("Orbit", "1.1")
print(s.id, flush=True)
s.update_state({"level": 3, "reactor": {"temp": 900}})
s.log_event("boss_fight", level="warning")
def overheat():
    raise RuntimeError("reactor <overheated>")
overheat()
"""

#: Misses its heartbeat for longer than its hang timeout, then recovers and ends.
HANG = """
import time
import datacat
s = datacat.create_session("Orbit", "1.0", hang_timeout=1.0)
print(s.id, flush=True)
s.heartbeat()
time.sleep(2.5)  # the app's main loop is stuck: no heartbeat
s.heartbeat()
s.log_event("recovered_work")
s.end()
"""

#: User data full of markup.
XSS = f"""
import datacat
s = datacat.create_session({EVIL!r}, {EVIL_VERSION!r})
print(s.id, flush=True)
s.update_state({{"<i>key</i>": {{"<b>inner</b>": "<script>alert(3)</script>"}}}})
s.log_event("<b>bold</b>", message="<script>alert(4)</script>", level="<em>lvl</em>")
s.log_gauge("<u>metric</u>", 1.0)
s.end()
"""

#: Stays active (heartbeating) until a line arrives on stdin, then ends.
LIVE = """
import sys, threading
import datacat
s = datacat.create_session("Orbit", "1.1")
s.update_state({"live": True})
s.heartbeat()
print(s.id, flush=True)
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), done.set()), daemon=True).start()
while not done.wait(0.3):
    s.heartbeat()
s.end()
"""
