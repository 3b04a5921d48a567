"""The per-user daemon is visible: status, stop, restart; a demo for another broker is refused;
a squatted runtime directory is avoided, said so, and nothing is lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

from tests.cli.support import datacat, isolated_env
from tests.helpers import free_port, wait_until

APP = """
import sys, datacat
s = datacat.create_session("Visible", "1.0")
s.log_event("hello")
print(s.id, s.flush(10), flush=True)
sys.stdin.read()
s.end()
"""

OTHER_APP = "import datacat; datacat.create_session('Elsewhere', '1.0').end()"


def _app(env: dict) -> tuple[subprocess.Popen, str, str]:
    app = subprocess.Popen([sys.executable, "-c", APP], env=env, text=True, stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sid, flushed = app.stdout.readline().split()
    return app, sid, flushed


def _gone(pid: int) -> bool:
    return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_daemon_status_stop_restart_and_a_demo_for_another_broker(tmp_path):
    broker = f"tcp://127.0.0.1:{free_port()}"
    env = isolated_env(tmp_path)
    started = datacat("daemon", "restart", "--broker", broker, env=env)
    assert started.returncode == 0 and broker in started.stdout, started.stderr
    app, sid, _ = _app(dict(env, DATACAT_BROKER=broker))
    try:
        shown = datacat("daemon", "status", env=env)
        assert shown.returncode == 0 and broker in shown.stdout and sid in shown.stdout
        status = json.loads(datacat("daemon", "status", "--json", env=env).stdout)
        assert status["brokers"] == [broker] and status["spool_dir"] == str(tmp_path / "run" / "spool")
        assert {"queued", "unacked", "spool_bytes"} <= set(status)
        assert [w["sid"] for w in status["watched"]] == [sid]

        other = f"tcp://127.0.0.1:{free_port()}"
        refused = datacat("demo", "--broker", other, "--sessions", "1", env=env)
        assert refused.returncode == 2 and "datacat daemon stop" in refused.stderr
        assert f"sends to {broker}, not {other}" in refused.stderr
        elsewhere = subprocess.run([sys.executable, "-c", OTHER_APP], capture_output=True,
                                   text=True, timeout=60, env=dict(env, DATACAT_BROKER=other))
        assert f"DATACAT_BROKER is {other}, but the running daemon" in elsewhere.stderr
        assert f"sends to {broker}; records go there" in elsewhere.stderr
    finally:
        app.communicate("", timeout=30)
    stopped = datacat("daemon", "stop", env=env)
    assert stopped.stdout.strip() == f"stopped the daemon (pid {status['pid']})"
    assert _gone(status["pid"])
    assert datacat("daemon", "status", env=env).returncode == 1


def test_a_squatted_runtime_dir(tmp_path):
    short = Path(tempfile.mkdtemp(prefix="dc-"))  # ipc socket paths must stay short
    try:
        squat = short / f"datacat-{os.getuid()}"
        if os.getuid() == 0:
            squat.mkdir(mode=0o777)
            os.chown(squat, 65534, 65534)
        else:
            (short / "elsewhere").mkdir()
            squat.symlink_to(short / "elsewhere")
        env = isolated_env(short, TMPDIR=str(short), DATACAT_BROKER=f"tcp://127.0.0.1:{free_port()}")
        del env["DATACAT_RUNTIME_DIR"]
        env.pop("XDG_RUNTIME_DIR", None)
        app, sid, flushed = _app(env)
        _, err = app.communicate("", timeout=30)
        assert app.returncode == 0 and flushed == "True", err
        assert f"not using {squat}" in err
        status = json.loads(datacat("daemon", "status", "--json", env=env).stdout)
        assert status["runtime_dir"].startswith(str(short / "state"))
        folder = Path(status["runtime_dir"]).name  # this broker's daemon: a to-<hash> folder
        assert folder.startswith("to-")
        assert status["spool_dir"] == str(short / "state" / "datacat" / f"spool-{folder}")
        assert datacat("daemon", "stop", env=env).returncode == 0
        wait_until(lambda: _gone(status["pid"]), message="the daemon to stop")
    finally:
        shutil.rmtree(short, ignore_errors=True)


def test_apps_asking_for_other_brokers_get_a_daemon_of_their_own(tmp_path):
    short = Path(tempfile.mkdtemp(prefix="dc-"))  # ipc socket paths must stay short
    brokers = [f"tcp://127.0.0.1:{free_port()}" for _ in range(2)]
    envs = [isolated_env(short, XDG_RUNTIME_DIR=str(short), DATACAT_BROKER=broker)
            for broker in brokers]
    for env in envs:
        del env["DATACAT_RUNTIME_DIR"]
    try:
        apps = [_app(env) for env in envs]
        statuses = []
        for (_, sid, flushed), env in zip(apps, envs):
            assert flushed == "True"
            statuses.append(json.loads(datacat("daemon", "status", "--json", env=env).stdout))
            assert [w["sid"] for w in statuses[-1]["watched"]] == [sid]
        assert [status["brokers"] for status in statuses] == [[brokers[0]], [brokers[1]]]
        assert statuses[0]["pid"] != statuses[1]["pid"]
        assert statuses[0]["spool_dir"] != statuses[1]["spool_dir"]
        for app, _, _ in apps:
            _, err = app.communicate("", timeout=30)
            assert app.returncode == 0 and "records go there" not in err, err
        demo = datacat("demo", "--broker", brokers[1], "--sessions", "1", "--seconds", "1",
                       env=envs[0], timeout=120)  # served by the second broker's daemon
        assert demo.returncode == 0, demo.stderr
    finally:
        for env in envs:
            datacat("daemon", "stop", env=env)
        shutil.rmtree(short, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_daemon_left(tmp_path):
    yield
    datacat("daemon", "stop", env=isolated_env(tmp_path))
