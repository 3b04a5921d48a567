"""The daemon's watcher with injected time and process state; the probe against real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil
import pytest

from datacat.daemon.probe import ProcessProbe, ProcState, SleepClock, read_fault_file
from datacat.daemon.watch import LAST_EVENTS, Watcher
from datacat.protocol import Kind
from tests.helpers import wait_until

SID = "s-1"


class FakeProbe:
    def __init__(self):
        self.states: dict[int, ProcState] = {}

    def state(self, pid, start_time):
        return self.states.get(pid, ProcState.RUNNING)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def open_record(pid=42, hang_timeout=10.0, fault_file=None):
    return [Kind.OPEN, SID, 1.0, "P", "1", pid, 5.0, "h", None, None, "0.1", hang_timeout, None,
            fault_file]


@pytest.fixture
def world():
    probe, wall = FakeProbe(), Clock()
    watcher = Watcher(probe, state_of=lambda sid: {"level": 3}, wall=wall)
    watcher.on_record(open_record(), now=0.0)
    return watcher, probe, wall


def kinds(records):
    return [r[0] for r in records]


def test_no_heartbeat_means_never_hung(world):
    watcher, _, _ = world
    assert watcher.check(now=1000.0) == []


def test_a_late_beat_hangs_once_and_the_next_beat_recovers(world):
    watcher, _, wall = world
    watcher.on_record([Kind.BEAT, SID, 1.0], now=0.0)
    watcher.on_record([Kind.STACKS, SID, 2.0, {"threads": {"MainThread": ["x"]}, "main": "M"}],
                      now=5.0)
    assert watcher.check(now=9.0) == []
    (hang,) = watcher.check(now=12.0)
    assert hang[0] == Kind.HANG and hang[3]["stacks"]["threads"] == {"MainThread": ["x"]}
    assert hang[2] == pytest.approx(wall.now - 2.0)  # the hang began when the timeout ran out
    assert watcher.check(now=30.0) == []  # one hang record per episode
    wall.now += 18.0
    (recover,) = watcher.on_record([Kind.BEAT, SID, 3.0], now=30.0)
    assert recover[0] == Kind.RECOVER and recover[3]["hang_duration"] == pytest.approx(20.0)


def test_a_hang_the_checks_missed_is_told_by_the_beats_own_times(world):
    watcher, _, _ = world
    watcher.on_record([Kind.BEAT, SID, 100.0], now=0.0)
    # the daemon was too busy to check while the app was stuck for 25 s (timeout 10 s)
    hang, recover = watcher.on_record([Kind.BEAT, SID, 125.0], now=0.5)
    assert hang[0] == Kind.HANG and hang[2] == pytest.approx(110.0)
    assert hang[3] == {"timeout": 10.0, "since_last_beat": 25.0}
    assert recover[0] == Kind.RECOVER and recover[2] == 125.0
    assert recover[3]["hang_duration"] == pytest.approx(15.0)
    assert watcher.on_record([Kind.BEAT, SID, 126.0], now=1.0) == []


@pytest.mark.parametrize("excuse", ["pause", "stopped", "traced", "slept"])
def test_a_long_gap_between_beats_with_an_excuse_is_no_hang(world, excuse):
    watcher, probe, _ = world
    watcher.on_record([Kind.BEAT, SID, 100.0], now=0.0)
    if excuse == "pause":
        watcher.on_record([Kind.PAUSE, SID, 101.0], now=1.0)
        watcher.on_record([Kind.RESUME, SID, 124.0], now=1.0)
    elif excuse == "slept":
        watcher.check(now=1.0, slept=24.0)
    else:
        probe.states[42] = ProcState.STOPPED if excuse == "stopped" else ProcState.TRACED
        watcher.check(now=1.0)
        probe.states[42] = ProcState.RUNNING
    assert Kind.HANG not in kinds(watcher.on_record([Kind.BEAT, SID, 125.0], now=1.5))


def test_a_beat_sent_before_a_stop_that_arrives_after_it_does_not_hide_the_stop(world):
    watcher, probe, wall = world
    wall.now = 100.5
    watcher.on_record([Kind.BEAT, SID, 100.0], now=0.0)
    probe.states[42] = ProcState.STOPPED
    watcher.check(now=1.0)  # the daemon sees the stop at 100.5 ...
    watcher.on_record([Kind.BEAT, SID, 100.4], now=1.1)  # ... then a beat queued before it
    wall.now = 125.0
    probe.states[42] = ProcState.RUNNING
    assert kinds(watcher.check(now=25.0)) == [Kind.WAKE]
    assert watcher.on_record([Kind.BEAT, SID, 125.1], now=25.1) == []


def test_a_stop_seen_before_the_last_beat_excuses_no_later_gap(world):
    watcher, probe, wall = world
    wall.now = 99.0
    probe.states[42] = ProcState.STOPPED
    watcher.check(now=0.0)
    probe.states[42] = ProcState.RUNNING
    watcher.check(now=0.5)
    watcher.on_record([Kind.BEAT, SID, 100.0], now=1.0)
    assert kinds(watcher.on_record([Kind.BEAT, SID, 125.0], now=1.5)) == [Kind.HANG, Kind.RECOVER]


def test_paused_detection_does_not_hang_and_resume_restarts_the_wait(world):
    watcher, _, _ = world
    watcher.on_record([Kind.BEAT, SID, 1.0], now=0.0)
    watcher.on_record([Kind.PAUSE, SID, 1.0], now=1.0)
    assert watcher.check(now=100.0) == []
    watcher.on_record([Kind.RESUME, SID, 1.0], now=100.0)
    assert watcher.check(now=105.0) == []
    assert kinds(watcher.check(now=111.0)) == [Kind.HANG]


def test_machine_sleep_is_not_counted_and_is_recorded(world):
    watcher, _, _ = world
    watcher.on_record([Kind.BEAT, SID, 1.0], now=0.0)
    records = watcher.check(now=50.0, slept=45.0)  # 5 s awake, 45 s asleep
    assert kinds(records) == [Kind.SUSPEND, Kind.WAKE]
    assert records[1][3] == {"cause": "sleep", "duration": 45.0}
    assert kinds(watcher.check(now=56.0)) == [Kind.HANG]


def test_a_stopped_process_is_suspended_then_woken_never_hung(world):
    watcher, probe, wall = world
    watcher.on_record([Kind.BEAT, SID, 1.0], now=0.0)
    probe.states[42] = ProcState.STOPPED
    assert kinds(watcher.check(now=5.0)) == [Kind.SUSPEND]
    assert watcher.check(now=60.0) == []
    probe.states[42] = ProcState.RUNNING
    wall.now += 55.0
    (wake,) = watcher.check(now=61.0)
    assert wake[0] == Kind.WAKE and wake[3]["duration"] == pytest.approx(55.0)
    assert watcher.check(now=65.0) == []


def test_a_traced_process_does_not_count_toward_a_hang(world):
    watcher, probe, _ = world
    watcher.on_record([Kind.BEAT, SID, 1.0], now=0.0)
    probe.states[42] = ProcState.TRACED
    assert watcher.check(now=50.0) == []
    probe.states[42] = ProcState.RUNNING
    assert watcher.check(now=55.0) == []


def test_a_vanished_process_crashes_with_state_and_the_last_events(world):
    watcher, probe, _ = world
    for i in range(LAST_EVENTS + 10):
        watcher.on_record([Kind.EVENT, SID, float(i), "e", "info", None, [], None, {"i": i}, None],
                          now=1.0)
    probe.states[42] = ProcState.GONE
    (crash,) = watcher.check(now=2.0)
    assert crash[:4] == [Kind.CRASH, SID, crash[2], "process_vanished"]
    assert crash[4]["state"] == {"level": 3}
    assert [e["data"]["i"] for e in crash[4]["events"]] == list(range(10, LAST_EVENTS + 10))
    assert watcher.sessions == {} and watcher.check(now=3.0) == []


def test_a_fault_file_makes_a_fatal_signal_crash(tmp_path):
    fault = tmp_path / "fault.txt"
    fault.write_text("Fatal Python error: Segmentation fault\n\nCurrent thread 0x1:\n  File x\n")
    probe = FakeProbe()
    watcher = Watcher(probe)
    watcher.on_record(open_record(fault_file=str(fault)), now=0.0)
    probe.states[42] = ProcState.GONE
    (crash,) = watcher.check(now=1.0)
    assert crash[3] == "fatal_signal" and crash[4]["signal"] == "SIGSEGV"
    assert "Current thread" in crash[4]["traceback"] and not fault.exists()


def test_an_empty_fault_file_is_no_evidence(tmp_path):
    fault = tmp_path / "f.txt"
    fault.write_text("")
    assert read_fault_file(str(fault)) is None and read_fault_file(None) is None


def test_an_ended_session_is_no_longer_watched(world):
    watcher, probe, _ = world
    watcher.on_record([Kind.END, SID, 2.0, "end"], now=1.0)
    probe.states[42] = ProcState.GONE
    assert watcher.check(now=2.0) == []


def test_probe_tells_running_stopped_gone_and_a_reused_pid():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started = psutil.Process(child.pid).create_time()
        probe = ProcessProbe()
        assert probe.state(child.pid, started) is ProcState.RUNNING
        assert probe.state(child.pid, started - 100) is ProcState.GONE  # same pid, other process
        os.kill(child.pid, signal.SIGSTOP)
        wait_until(lambda: probe.state(child.pid, started) is ProcState.STOPPED,
                   message="the stopped state")
        os.kill(child.pid, signal.SIGCONT)
    finally:
        child.kill()
        child.wait()
    assert probe.state(child.pid, started) is ProcState.GONE


def test_sleep_clock_reports_no_sleep_on_a_running_machine():
    clock = SleepClock()
    assert clock.slept() == 0.0
