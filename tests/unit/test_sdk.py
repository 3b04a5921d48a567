"""The SDK against a real PULL socket standing in for the daemon (no daemon auto-start)."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
import zmq

from datacat.ids import uuid7, uuid7_time
from datacat.outbox import WIDTH
from datacat.protocol import Kind, decode_frame
from datacat.runtime import RuntimePaths
from datacat.session import Session
from datacat.transport import Transport
from tests.helpers import wait_until


@pytest.fixture
def paths(tmp_path) -> RuntimePaths:
    return RuntimePaths(Path(tmp_path)).ensure()


@pytest.fixture
def pull(paths):
    context = zmq.Context()
    sock = context.socket(zmq.PULL)
    sock.setsockopt(zmq.LINGER, 0)
    sock.bind(paths.daemon_endpoint)
    yield sock
    sock.close(0)
    context.term()


def make_session(paths, **options) -> tuple[Session, Transport]:
    transport = Transport(paths, autostart=False, **options).start()
    return Session(uuid7(), "P", "1", transport), transport


def received(sock, count: int) -> list:
    records = []

    def more():
        while sock.poll(0):
            records.extend(decode_frame(sock.recv()).records)
        return len(records) >= count

    wait_until(more, message=f"{count} records")
    return records


def test_records_reach_the_daemon_socket_in_order(paths, pull):
    session, transport = make_session(paths)
    session.update_state({"a": 1})
    for i in range(5000):
        session.log_event("e", {"i": i})
    session.log_counter("kills", 2)
    records = received(pull, 5002)
    assert records[0][0] == Kind.STATE and records[0][3] == {"a": 1}
    assert [r[8]["i"] for r in records[1:5001]] == list(range(5000))
    assert records[-1][0] == Kind.METRIC and records[-1][5] == "counter"
    transport.close(0.1)


def test_without_a_daemon_calls_return_and_drops_are_counted(paths):
    session, transport = make_session(paths, capacity=100)
    for i in range(1000):
        session.log_event("e", {"i": i})  # must neither raise nor block
    assert len(transport.queue) <= 100 * WIDTH  # records of WIDTH items each
    assert transport.dropped >= 900
    assert session.flush(timeout=0.2) is False
    assert session.end(timeout=0.1) is False
    transport.close(0.1)


def test_drop_count_reaches_the_daemon_in_the_next_frame(paths, pull):
    session, transport = make_session(paths, capacity=10)
    transport.dropped = 7  # as if the app had overflowed the queue earlier
    session.log_event("after", None)
    wait_until(lambda: pull.poll(0), message="a frame")
    assert decode_frame(pull.recv()).dropped == {"queue_full": 7}
    transport.close(0.1)


def test_an_oversized_record_is_dropped_alone(paths, pull):
    session, transport = make_session(paths)
    session.log_event("huge", {"blob": "x" * 60_000 * 100})
    session.log_event("small", None)
    records = received(pull, 1)
    assert [r[3] for r in records] == ["small"]
    assert transport.drops == {"too_large": 1}
    transport.close(0.1)


class Unprintable:
    def __repr__(self):
        raise RuntimeError("no repr")


ZONED = timezone(timedelta(hours=2))
ODD_VALUES = {"when": datetime(2026, 1, 2, 3, 4, 5), "zoned": datetime(2026, 1, 2, 3, 4, 5, 7, ZONED),
              "day": date(2026, 1, 2), "id": UUID(int=1), "amount": Decimal("1.50"), "set": {3},
              "obj": Unprintable(), "long": "y" * 10}
AS_SENT = {"when": "2026-01-02T03:04:05", "zoned": "2026-01-02T01:04:05.000007Z",
           "day": "2026-01-02", "id": "00000000-0000-0000-0000-000000000001", "amount": "1.50",
           "set": [3], "obj": "<Unprintable>", "long": "y" * 10}


@pytest.mark.parametrize("text", ["plain", "lone \ud800 surrogate"], ids=["fast", "fallback"])
def test_a_value_msgpack_has_no_type_for_is_sent_as_text(paths, pull, text):
    # a lone surrogate makes msgspec refuse the frame: msgpack packs it, with the same result
    session, transport = make_session(paths)
    session.log_event("before", {"i": 1})
    session.log_event("odd", {**ODD_VALUES, "text": text})
    session.log_event("after", {"i": 2})
    records = received(pull, 3)
    assert [r[3] for r in records] == ["before", "odd", "after"]
    assert records[1][8] == {**AS_SENT, "text": text.replace("\ud800", "?")}
    assert transport.drops == {} and transport.frames_sent >= 1
    transport.close(0.1)


def test_a_record_that_cannot_be_encoded_at_all_is_dropped_alone(paths, pull):
    session, transport = make_session(paths)
    loop: dict = {}
    loop["self"] = loop  # no encoding of this ends
    session.log_event("before", None)
    session.log_event("loop", loop)
    session.end()
    records = received(pull, 2)
    assert [r[0] for r in records] == [Kind.EVENT, Kind.END]
    assert transport.drops == {"unencodable": 1}
    transport.close(0.1)


def test_timer_as_context_manager_and_decorator(paths, pull):
    session, transport = make_session(paths)
    with session.timer("block"):
        pass

    @session.timer("call", tags={"k": "v"})
    def work(x):
        return x * 2

    assert work(21) == 42
    records = received(pull, 2)
    assert [(r[3], r[5], r[6]) for r in records] == [("block", "timer", "ms"),
                                                      ("call", "timer", "ms")]
    assert records[1][7] == {"k": "v"} and all(r[4] >= 0 for r in records)
    transport.close(0.1)


def test_exception_escaping_with_block_is_logged_then_the_session_ends(paths, pull):
    session, transport = make_session(paths)
    with pytest.raises(KeyError):
        with session:
            {}["missing"]
    records = received(pull, 2)
    event, end = records
    assert event[0] == Kind.EVENT and event[3] == "exception"
    exc = event[9]
    assert exc["type"] == "KeyError" and exc["function"].startswith("test_exception")
    assert "KeyError" in exc["stacktrace"][-1]
    assert end[0] == Kind.END and end[3] == "end"
    transport.close(0.1)


def test_uuid7_ids_sort_by_creation_time():
    first = uuid7(now_ns=1_000_000_000_000)
    second = uuid7(now_ns=2_000_000_000_000)
    assert first < second and uuid7_time(first) == 1000.0
    assert abs(uuid7_time(uuid7()) - time.time()) < 5
    assert uuid7()[14] == "7"


def test_module_helpers_before_init_do_nothing_and_break_nothing():
    import subprocess
    import sys

    code = """
import datacat
with datacat.timer("t"):
    pass
@datacat.timer("f")
def f():
    return 1
assert f() == 1
assert datacat.flush() is False and datacat.end() is False
datacat.log_event("e"); datacat.update_state({"a": 1}); datacat.heartbeat()
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "ok", out.stderr


def test_a_late_answer_from_the_same_daemon_resends_nothing(paths, pull, caplog):
    session, transport = make_session(paths)
    for i in range(6):
        session.log_event("e", {"i": i})
        transport.flush(0.2)  # no daemon answers here: each frame stays unconfirmed
    received(pull, 6)
    last = transport.frames_sent
    assert last >= 4
    transport._seen({"seq": last - 1, "daemon": "d1"})  # the first daemon to answer
    wait_until(lambda: not transport._pending, message="the resend to the first daemon")
    while pull.poll(300):
        pull.recv()
    transport._seen({"seq": 1, "daemon": "d1"})  # asked earlier, answered last
    assert not transport._pending and not pull.poll(300)
    assert "new daemon" not in caplog.text
    transport.close(0.5)


def test_threads_logging_at_once_each_get_every_record_through_once_in_order(paths, pull):
    # app threads add records while the flusher takes the queue: none is torn, lost or doubled
    import threading

    session, transport = make_session(paths, tick=0.001)
    threads = [threading.Thread(target=lambda n=n: [
        (session.log_event("e", {"t": n, "i": i}), session.log_metric("m", i, tags={"t": n}),
         session.update_state({str(n): i})) for i in range(3000)]) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = received(pull, 4 * 3 * 3000)
    assert len(records) == 4 * 3 * 3000 and transport.dropped == 0
    for n in range(4):
        assert [r[8]["i"] for r in records if r[0] == Kind.EVENT and r[8]["t"] == n] \
            == list(range(3000))
        assert [r[4] for r in records if r[0] == Kind.METRIC and r[7]["t"] == n] == list(range(3000))
        assert [r[3][str(n)] for r in records if r[0] == Kind.STATE and str(n) in r[3]] \
            == list(range(3000))
    transport.close(0.1)


def test_a_frames_worth_of_queued_records_wakes_the_flusher_each_time(paths, pull):
    # the flusher's tick is an hour here: only a long queue wakes it
    from datacat.transport import FRAME_RECORDS

    session, transport = make_session(paths, tick=3600)
    for _burst in range(3):
        for i in range(FRAME_RECORDS + 1):
            session.log_event("e", {"i": i})
        records = received(pull, FRAME_RECORDS + 1)  # the call that found the long queue too
        assert [r[8]["i"] for r in records] == list(range(FRAME_RECORDS + 1))
    transport.close(0.1)


def test_an_open_record_that_cannot_be_encoded_is_dropped_and_counted(paths):
    # a record too wide for the queue's layout (open) is packed when it is queued
    transport = Transport(paths, autostart=False)
    loop: dict = {}
    loop["self"] = loop
    transport.add((Kind.OPEN.value, "s", 1.0, "P", "1", 1, 1.0, "h", "m", loop, "0", 60.0,
                   None, None))
    assert transport.queue == [] and transport.drops == {"unencodable": 1}
