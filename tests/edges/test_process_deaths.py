"""Records survive the edges of a process's life: hard deaths, first runs, odd values, a dead daemon.

Real processes throughout: ``datacat up``, daemons the apps start themselves, apps that die
every way a process can.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import all_events, kill_daemon, wait_until
from tests.integration.conftest import run_stack

pytestmark = pytest.mark.slow

EVENTS = 2_000

#: Logs EVENTS events, waits, logs an error and dies on the next line, the way argv[1] says.
DYING_APP = f"""
import os, signal, sys, time
import datacat
mode = sys.argv[1]
s = datacat.create_session("Edges", "1.0")
print(s.id, flush=True)
for i in range({EVENTS}):
    s.log_event("tick", {{"i": i}})
time.sleep(0.1)
s.log_event("failure", {{"mode": mode}}, level="error")
if mode == "exception":
    raise RuntimeError("boom")
elif mode == "sys_exit":
    sys.exit(0)
elif mode == "sigterm":
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(30)
elif mode == "os_exit":
    os._exit(3)
elif mode == "sigkill":
    os.kill(os.getpid(), signal.SIGKILL)
"""

FINAL = {"normal": ("ended", "exit"), "sys_exit": ("ended", "exit"),
         "exception": ("crashed", "unhandled_exception"), "sigterm": ("ended", "sigterm"),
         "os_exit": ("crashed", "process_vanished"), "sigkill": ("crashed", "process_vanished")}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from run_stack(tmp_path_factory.mktemp("edges"))


def _run(stack, source: str, *args: str, runtime_dir: Path | None = None,
         timeout: float = 60) -> tuple[str, subprocess.CompletedProcess]:
    env = dict(stack.env)
    if runtime_dir is not None:
        env["DATACAT_RUNTIME_DIR"] = str(runtime_dir)
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(source), *args], env=env,
                            capture_output=True, text=True, timeout=timeout)
    return result.stdout.split()[0], result


def _final(stack, sid: str, status: str) -> dict:
    return stack.wait_session(sid, lambda s: s["status"] == status, 60, f"{sid} to be {status}")


@pytest.fixture(scope="module")
def warm_daemon(stack):
    """A daemon already running in the stack's runtime directory."""
    sid, _ = _run(stack, "import datacat\ns = datacat.create_session('Warm', '1')\n"
                         "print(s.id, flush=True)\ns.end()")
    _final(stack, sid, "ended")
    return stack.runtime_dir


@pytest.mark.parametrize("daemon", ["running", "first_run"])
@pytest.mark.parametrize("mode", list(FINAL))
def test_every_record_survives_every_way_of_dying(stack, warm_daemon, tmp_path, mode, daemon):
    runtime_dir = warm_daemon if daemon == "running" else tmp_path / "run"
    try:
        sid, result = _run(stack, DYING_APP, mode, runtime_dir=runtime_dir)
        status, reason = FINAL[mode]
        session = _final(stack, sid, status)
        assert session["reason"] == reason, result.stderr
        names = wait_until(lambda: (e := all_events(stack.get, sid)) and "failure" in
                           [x["name"] for x in e] and e, 60, message="the error event")
        ticks = [e["data"]["i"] for e in names if e["name"] == "tick"]
        assert ticks == list(range(EVENTS))  # all of them, once, in order
        failures = [e for e in names if e["name"] == "failure"]
        assert len(failures) == 1 and failures[0]["level"] == "error"
        assert names.index(failures[0]) > max(i for i, e in enumerate(names) if e["name"] == "tick")
    finally:
        if daemon == "first_run":
            kill_daemon(runtime_dir)


FIRST_RUN_CRASH = """
import os, time
import datacat
s = datacat.create_session("Edges", "1.0")
print(s.id, flush=True)
s.update_state({"stage": "loading"})
try:
    raise ValueError("bad level file")
except ValueError:
    s.log_exception()
time.sleep(0.05)
os._exit(1)
"""


def test_a_first_run_that_dies_50_ms_after_starting_is_reported(stack, tmp_path):
    runtime_dir = tmp_path / "run"
    try:
        sid, _ = _run(stack, FIRST_RUN_CRASH, runtime_dir=runtime_dir)
        session = _final(stack, sid, "crashed")
        assert session["state"] == {"stage": "loading"}
        exceptions = [e for e in all_events(stack.get, sid) if e["name"] == "exception"]
        assert len(exceptions) == 1 and "bad level file" in exceptions[0]["message"]
    finally:
        kill_daemon(runtime_dir)


ODD_VALUE = """
import datetime
import datacat
s = datacat.create_session("Edges", "1.0")
print(s.id, flush=True)
s.log_event("before", {"i": 1})
s.log_event("x", {"when": datetime.datetime(2026, 1, 2, 3, 4, 5)})
s.log_event("keys", {1: "one", (2, 3): {b"raw": 4}})
s.log_event("after", {"i": 2})
s.end()
"""


def test_an_unencodable_value_costs_nothing_around_it(stack, warm_daemon):
    sid, _ = _run(stack, ODD_VALUE)
    _final(stack, sid, "ended")
    events = [e for e in all_events(stack.get, sid)]
    assert [e["name"] for e in events] == ["before", "x", "keys", "after"]
    assert events[1]["data"] == {"when": "2026-01-02T03:04:05"}  # ISO 8601, as docs/sdk.md says
    assert events[2]["data"] == {"1": "one", "(2, 3)": {"raw": 4}}  # keys as text, as JSON would


STREAM = """
import sys, time
import datacat
s = datacat.create_session("Edges", "1.0")
print(s.id, flush=True)
for i in range(20_000):
    s.log_event("tick", {"i": i})
    if i == 9_999:
        print("half", flush=True)
        sys.stdin.readline()  # the test kills the daemon here
    elif i % 200 == 199:
        time.sleep(0.005)
print("ended", s.end(timeout=30), flush=True)
"""


def test_a_daemon_killed_mid_stream_is_replaced_and_loses_nothing(stack, tmp_path):
    runtime_dir = tmp_path / "run"
    env = dict(stack.env, DATACAT_RUNTIME_DIR=str(runtime_dir))
    app = subprocess.Popen([sys.executable, "-c", textwrap.dedent(STREAM)], env=env,
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        sid = app.stdout.readline().strip()
        assert app.stdout.readline().strip() == "half"
        pid_file = runtime_dir / "daemon.pid"
        first = wait_until(lambda: pid_file.exists() and int(pid_file.read_text()), 60,
                           message="the app's daemon to start")
        wait_until(lambda: len(all_events(stack.get, sid)) >= 1000, 60,
                   message="the stream to reach the tier")
        os.kill(first, signal.SIGKILL)
        out, err = app.communicate("go\n", timeout=120)
        assert "ended True" in out, err
        assert int(pid_file.read_text()) != first  # a new daemon took over
        _final(stack, sid, "ended")
        ticks = wait_until(lambda: len(e := all_events(stack.get, sid)) >= 20_000 and e, 60,
                           message="every event")
        assert [e["data"]["i"] for e in ticks] == list(range(20_000))
    finally:
        if app.poll() is None:
            app.kill()
        kill_daemon(runtime_dir)


CHILDREN = """
import multiprocessing, subprocess, sys
from concurrent.futures import ProcessPoolExecutor
import datacat

CHILD = "import datacat; s = datacat.create_session('Edges', 'child'); print(s.id); s.end()"


def child(queue):
    s = datacat.create_session("Edges", "child")
    queue.put(s.id)
    s.end()


def pooled():
    s = datacat.create_session("Edges", "child")
    s.end()
    return s.id


if __name__ == "__main__":
    parent = datacat.create_session("Edges", "parent")
    print(parent.id, flush=True)
    for method in ("spawn", "forkserver", "fork"):
        ctx = multiprocessing.get_context(method)
        queue = ctx.Queue()
        process = ctx.Process(target=child, args=(queue,))
        process.start()
        print(method, queue.get(timeout=60), flush=True)
        process.join(60)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        print("pool", pool.submit(pooled).result(timeout=60), flush=True)
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60)
    print("subprocess", out.stdout.strip(), flush=True)
    parent.end()
"""


def test_children_link_to_their_parent_however_they_start(stack, warm_daemon, tmp_path):
    script = tmp_path / "children.py"
    script.write_text(textwrap.dedent(CHILDREN))
    result = subprocess.run([sys.executable, str(script)], env=stack.env, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    parent = lines[0].strip()
    children = dict(line.split() for line in lines[1:] if line.strip())
    assert set(children) == {"spawn", "forkserver", "fork", "pool", "subprocess"}
    for how, sid in children.items():
        session = _final(stack, sid, "ended")
        assert session["parent_session_id"] == parent, how
    page = stack.get(f"/sessions/{parent}").text  # the dashboard shows the tree
    for how, sid in children.items():
        assert f'href="/sessions/{sid}"' in page, how
    assert f'href="/sessions/{parent}"' in stack.get(f"/sessions/{children['spawn']}").text
