"""How sessions end, crash, hang and recover: real app processes under the real daemon and tier."""

from __future__ import annotations

import os
import signal

import pytest

from tests.helpers import DataCatProcess, kill_daemon, wait_until

from .conftest import run_stack

HEADER = """
import os, sys, time, datacat
s = datacat.create_session("Life", "1.0", hang_timeout={timeout})
print(s.id, flush=True)
"""


def app(body: str, timeout: float = 60.0) -> str:
    return HEADER.format(timeout=timeout) + body


def final(stack, sid: str, status: str, timeout: float = 20.0) -> dict:
    return stack.wait_session(sid, lambda s: s["status"] == status, timeout,
                              f"session {sid} to become {status}")


def test_clean_end(stack):
    sid = stack.run_app(app("s.log_event('work'); s.end()")).stdout.split()[0]
    session = final(stack, sid, "ended")
    assert session["reason"] == "end" and session["ended_at"] is not None


def test_interpreter_exit_without_end_is_a_clean_end(stack):
    sid = stack.run_app(app("s.update_state({'x': 1})")).stdout.split()[0]
    assert final(stack, sid, "ended")["reason"] == "exit"


def test_unhandled_exception_crashes_the_session_with_its_stack(stack):
    started = stack.start_app(app("""
def load_level():
    raise RuntimeError("texture missing")
load_level()
"""))
    assert started.finish() == 1
    session = final(stack, started.sid, "crashed")
    assert session["reason"] == "unhandled_exception"
    exc = next(e for e in session["events"] if e["name"] == "exception")
    assert exc["exception_type"] == "RuntimeError" and "texture missing" in exc["exception_msg"]
    assert exc["source_function"] == "load_level"
    assert any("load_level" in line for line in exc["stacktrace"])


def test_exception_in_a_thread_is_logged_but_does_not_crash(stack):
    sid = stack.run_app(app("""
import threading
t = threading.Thread(target=lambda: 1 / 0, name="worker"); t.start(); t.join()
s.end()
""")).stdout.split()[0]
    session = final(stack, sid, "ended")
    exc = next(e for e in session["events"] if e["name"] == "exception")
    assert exc["exception_type"] == "ZeroDivisionError" and "worker" in exc["message"]


@pytest.mark.parametrize("how", ["os_exit", "sigkill"])
def test_a_vanished_process_is_a_crash_with_the_last_state_and_events(stack, how):
    started = stack.start_app(app("""
s.update_state({"level": 7, "player": {"hp": 3}})
for i in range(60):
    s.log_event("step", {"i": i})
assert s.flush(10)
""" + ("os._exit(1)" if how == "os_exit" else "time.sleep(600)")))
    if how == "sigkill":
        stack.wait_session(started.sid, lambda s: s["event_count"] == 60, what="the events")
        started.process.send_signal(signal.SIGKILL)
    started.finish()
    session = final(stack, started.sid, "crashed", timeout=10)
    assert session["reason"] == "process_vanished"
    crash = next(e for e in session["events"] if e["name"] == "session_crashed")
    assert crash["data"]["state"] == {"level": 7, "player": {"hp": 3}}
    assert [e["data"]["i"] for e in crash["data"]["events"]] == list(range(10, 60))


def test_a_segfault_is_a_fatal_signal_crash_with_the_native_traceback(stack):
    started = stack.start_app(app("""
import ctypes
s.log_event("rendering")
assert s.flush(10)
def render():
    ctypes.string_at(0)
render()
"""))
    assert started.finish() == -signal.SIGSEGV
    session = final(stack, started.sid, "crashed", timeout=10)
    assert session["reason"] == "fatal_signal"
    crash = next(e for e in session["events"] if e["name"] == "session_crashed")
    assert crash["data"]["signal"] == "SIGSEGV"
    assert "Segmentation fault" in crash["data"]["traceback"]
    assert "render" in crash["data"]["traceback"]


def test_sigterm_ends_the_session_cleanly(stack):
    started = stack.start_app(app("s.log_event('up'); s.flush(10); print('ready', flush=True);"
                                  "time.sleep(600)"))
    assert started.process.stdout.readline().strip() == "ready"
    started.process.send_signal(signal.SIGTERM)
    assert started.finish() == -signal.SIGTERM
    assert final(stack, started.sid, "ended")["reason"] == "sigterm"


def test_a_blocked_loop_is_hung_then_recovers_with_the_stuck_stack(stack):
    started = stack.start_app("""
import time, datacat
s = datacat.create_session("Life", "1.0", hang_timeout=1.0, watchdog=True)
print(s.id, flush=True)
s.heartbeat()
def stuck_in_physics():
    time.sleep(3.5)
stuck_in_physics()
s.heartbeat()
s.flush(10)
s.end()
""")
    hung = final(stack, started.sid, "hung")
    assert hung["hung"] is True
    assert started.finish() == 0
    session = final(stack, started.sid, "ended")
    names = [e["name"] for e in session["events"]]
    assert names.index("application_appears_hung") < names.index("application_recovered")
    hang = next(e for e in session["events"] if e["name"] == "application_appears_hung")
    main_stack = "".join(hang["data"]["stacks"]["threads"]["MainThread"])
    assert "stuck_in_physics" in main_stack
    recovered = next(e for e in session["events"] if e["name"] == "application_recovered")
    assert recovered["data"]["hang_duration"] > 1.0
    assert session["hangs"][0]["end"] is not None


def test_an_app_that_never_beats_is_never_hung(stack):
    sid = stack.run_app(app("time.sleep(2.5); s.end()", timeout=0.5)).stdout.split()[0]
    session = final(stack, sid, "ended")
    assert "application_appears_hung" not in [e["name"] for e in session["events"]]
    assert session["hangs"] == []


def test_a_stopped_process_is_suspended_not_hung(stack):
    started = stack.start_app(app("""
while True:
    s.heartbeat()
    time.sleep(0.05)
""", timeout=1.0))
    final(stack, started.sid, "active")
    os.kill(started.process.pid, signal.SIGSTOP)
    try:
        final(stack, started.sid, "suspended")
        checks = stack.daemon_stats()["checks"]
        wait_until(lambda: stack.daemon_stats()["checks"] >= checks + 6,
                   message="the daemon to check the stopped process past the hang timeout")
    finally:
        os.kill(started.process.pid, signal.SIGCONT)
    session = final(stack, started.sid, "active")
    started.kill()
    assert "application_appears_hung" not in [e["name"] for e in session["events"]]
    assert session["suspends"][0]["cause"] == "stopped" and session["suspends"][0]["end"]


def test_a_restarted_daemon_keeps_watching_and_reports_a_death_in_the_gap(stack, tmp_path):
    started = stack.start_app(app("s.update_state({'alive': True}); s.flush(10); time.sleep(600)"))
    final(stack, started.sid, "active")
    wait_until(lambda: (stack.runtime_dir / "registry.msgpack").exists(), message="a registry")
    pid = int((stack.runtime_dir / "daemon.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    started.kill()  # dies while no daemon watches
    daemon = DataCatProcess(["daemon", "--broker", stack.broker], tmp_path / "daemon.log",
                            env=stack.env)
    try:
        session = final(stack, started.sid, "crashed")
        assert session["reason"] == "process_vanished"
    finally:
        assert daemon.stop() == 0


def test_a_silent_daemon_makes_its_sessions_lost_until_it_returns(tmp_path):
    stacks = run_stack(tmp_path, extra=("--daemon-timeout", "2"),
                       env={"DATACAT_DAEMON_BEAT": "0.3"})
    stack = next(stacks)
    try:
        started = stack.start_app(app("while True: s.heartbeat(); time.sleep(0.1)", timeout=30))
        final(stack, started.sid, "active")
        daemon_pid = int((stack.runtime_dir / "daemon.pid").read_text())
        os.kill(daemon_pid, signal.SIGSTOP)
        try:
            lost = final(stack, started.sid, "lost")
            assert lost["reason"] == "daemon_silent"
        finally:
            os.kill(daemon_pid, signal.SIGCONT)
        final(stack, started.sid, "active")
        started.kill()
        assert final(stack, started.sid, "crashed")["reason"] == "process_vanished"
    finally:
        kill_daemon(stack.runtime_dir)
        next(stacks, None)


def test_a_forked_child_opens_its_own_session_linked_to_the_parent(stack):
    out = stack.run_app(app("""
import multiprocessing
def child(queue):
    c = datacat.create_session("Life-child", "1.0")
    c.log_event("in_child")
    queue.put(c.id)
ctx = multiprocessing.get_context("fork")
queue = ctx.Queue()
p = ctx.Process(target=child, args=(queue,)); p.start(); p.join()
print(queue.get(), flush=True)
s.end()
""")).stdout.split()
    parent_sid, child_sid = out
    child = final(stack, child_sid, "ended")
    assert child["parent_session_id"] == parent_sid
    assert "in_child" in [e["name"] for e in child["events"]]
    assert final(stack, parent_sid, "ended")["event_count"] == 0


def test_logging_records_become_events(stack):
    sid = stack.run_app(app("""
import logging
log = logging.getLogger("game.physics")
log.addHandler(datacat.LoggingHandler(s)); log.setLevel(logging.DEBUG)
log.warning("slow frame %d ms", 40)
try:
    {}["k"]
except KeyError:
    log.exception("lookup failed")
s.end()
""")).stdout.split()[0]
    events = final(stack, sid, "ended")["events"]
    warning, failure = events
    assert (warning["name"], warning["category"], warning["message"]) == \
        ("log", "warning", "slow frame 40 ms")
    assert warning["group"] == "game.physics"
    assert failure["name"] == "exception" and failure["message"] == "lookup failed"
    assert failure["exception_type"] == "KeyError" and failure["category"] == "error"
