"""``datacat up`` as a newcomer meets it: taken ports, a failing part, SIGKILL, private files."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx
import psutil
import pytest

from tests.cli.support import datacat, isolated_env
from tests.helpers import free_port, wait_until

pytestmark = pytest.mark.slow


def _up_args(tmp_path, name: str, ports: dict) -> list[str]:
    return ["up", "--data-dir", str(tmp_path / name), "--port", str(ports["web"]),
            "--broker-port", str(ports["broker"]), "--backend-port", str(ports["backend"]),
            "--stats-port", str(ports["stats"]), "--workers", "1"]


@pytest.fixture
def ports():
    return {name: free_port() for name in ("web", "broker", "backend", "stats")}


def test_two_stacks_on_one_port_then_sigkill_leaves_nothing(tmp_path, ports):
    env = isolated_env(tmp_path)
    log = open(tmp_path / "up.log", "w")
    first = subprocess.Popen([sys.executable, "-m", "datacat.cli", *_up_args(tmp_path, "a", ports)],
                             stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_until(lambda: "DataCat is up" in (tmp_path / "up.log").read_text(), 90,
                   message="the first stack")
        children = psutil.Process(first.pid).children(recursive=True)
        assert len(children) == 3  # broker, one worker, web

        second = datacat(*_up_args(tmp_path, "b", ports), env=env)
        assert second.returncode == 1 and "Traceback" not in second.stderr
        line, = second.stderr.strip().splitlines()
        assert f"port {ports['web']} (web) is in use by pid " in line, line
        assert not (tmp_path / "b").exists()  # nothing of the second stack started
        for alone in (["web", "--store", "memory://", "--port", str(ports["web"])],
                      ["broker", "--frontend", f"tcp://127.0.0.1:{ports['broker']}"]):
            refused = datacat(*alone, env=env)
            assert refused.returncode == 1 and "Traceback" not in refused.stderr
            line, = refused.stderr.strip().splitlines()
            assert "is in use by pid" in line
        assert (tmp_path / "up.log").read_text().count("Starting worker") == 1  # logged once

        assert (tmp_path / "a").stat().st_mode & 0o777 == 0o700
        stored = [p for p in (tmp_path / "a" / "store").iterdir() if p.is_file()]
        assert stored and all(p.stat().st_mode & 0o077 == 0 for p in stored)
        status = datacat("status", "--broker-stats", f"tcp://127.0.0.1:{ports['stats']}",
                         "--store", f"diskcache://{tmp_path / 'a' / 'store'}", env=env)
        assert "workers:" in status.stdout and "frontend_messages_in" in status.stdout
        assert not status.stdout.lstrip().startswith("{")

        first.send_signal(signal.SIGKILL)
        first.wait(30)
        wait_until(lambda: not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE
                                   for c in children), 30, message="the children to die with it")
        with pytest.raises(httpx.ConnectError):  # its port is free again
            httpx.get(f"http://127.0.0.1:{ports['web']}/health", timeout=2)
    finally:
        if first.poll() is None:
            first.kill()
        log.close()


def test_a_part_failing_at_start_stops_the_stack_without_a_loop(tmp_path, ports):
    env = isolated_env(tmp_path, DATACAT_BROKER_SECRET_KEY=str(tmp_path / "missing.key_secret"))
    result = datacat(*_up_args(tmp_path, "a", ports), env=env, timeout=90)
    assert result.returncode == 1
    assert "broker exited (2) while starting; stopped" in result.stderr
    assert "restarting" not in result.stderr and "Traceback" not in result.stderr
