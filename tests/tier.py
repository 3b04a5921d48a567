"""``Tier``: broker, ingest, web and daemon as separate processes that tests start, kill and restart
(on fixed ports, so a restarted part is found where it was)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.helpers import DataCatProcess, all_events, free_port, kill_daemon, wait_until

STREAM_APP = """
import sys, time, datacat
events, patches, pause = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
s = datacat.create_session("Faults", "1.0")
print(s.id, flush=True)
every = events // patches
for i in range(events):
    s.log_event("e", {"i": i})
    if i % every == 0:
        s.update_state({"patch": i // every, "nested": {"last": i}})
    if i % 100 == 99:
        time.sleep(pause)
s.end(timeout=120)
"""


@dataclass
class Tier:
    """Broker, ingest workers, web and a daemon, each its own process."""

    tmp: Path
    env: dict
    ports: dict = field(default_factory=lambda: {n: free_port() for n in ("front", "back", "web")})
    procs: dict = field(default_factory=dict)
    _count: int = 0

    @property
    def frontend(self) -> str:
        return f"tcp://127.0.0.1:{self.ports['front']}"

    @property
    def store(self) -> str:
        return f"diskcache://{self.tmp / 'store'}"

    @property
    def runtime_dir(self) -> Path:
        return Path(self.env["DATACAT_RUNTIME_DIR"])

    def start(self, name: str) -> DataCatProcess:
        """Start ``broker``, ``ingest``, ``web`` or ``daemon`` (again, after a kill)."""
        back = f"tcp://127.0.0.1:{self.ports['back']}"
        argv = {"broker": ["broker", "--frontend", self.frontend, "--backend", back],
                "ingest": ["ingest", "--backend", back, "--store", self.store],
                "web": ["web", "--store", self.store, "--port", str(self.ports["web"])],
                "daemon": ["daemon", "--broker", self.frontend]}[name]
        self._count += 1
        process = DataCatProcess(argv, self.tmp / f"{name}-{self._count}.log", env=self.env)
        self.procs[name] = process
        ready = {"web": lambda: self.get("/health").status_code == 200,
                 "daemon": lambda: self.daemon_stats()}.get(name)
        if ready is not None:
            try:
                wait_until(ready, 60, message=name)
            except AssertionError as exc:
                raise AssertionError(f"{exc}; exit status {process.process.poll()}; its log:\n"
                                     f"{process.log()[-3000:]}") from None
        return process

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.procs.pop(name)
        process.process.send_signal(sig)
        process.process.wait(30)

    def get(self, path: str, **params) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.ports['web']}{path}", params=params, timeout=10)

    def daemon_stats(self) -> dict | None:
        from datacat.control import ask
        from datacat.runtime import RuntimePaths

        return ask(RuntimePaths(self.runtime_dir).control_endpoint, {"op": "stats"}, timeout=1.0)

    def stream(self, events: int, patches: int, pause: float) -> tuple[subprocess.Popen, str]:
        """Start an app streaming ``events`` events and ``patches`` state patches."""
        app = subprocess.Popen([sys.executable, "-c", textwrap.dedent(STREAM_APP), str(events),
                                str(patches), str(pause)], env=self.env, text=True,
                               stdout=subprocess.PIPE)
        return app, app.stdout.readline().strip()

    def session(self, sid: str) -> dict | None:
        response = self.get(f"/api/v1/sessions/{sid}")
        return response.json() if response.status_code == 200 else None

    def count(self, sid: str) -> int:
        session = self.session(sid)
        return session["event_count"] if session else 0

    def events(self, sid: str) -> list[int]:
        """Every stored event's ``i``, in stored order."""
        return [event["data"]["i"] for event in all_events(self.get, sid)]

    def stop_all(self) -> None:
        for name in list(self.procs):
            process = self.procs.pop(name)
            if process.process.poll() is None:
                process.stop()
        kill_daemon(self.runtime_dir)
