"""``datacat store copy``: diskcache -> Redis -> diskcache, and a copy killed half-way."""

from __future__ import annotations

import signal
import subprocess
import sys

from datacat.broker.store import SessionQuery, open_store

from ..helpers import wait_until
from .support import CRASH, END, HANG, T0, Feed, opened, snapshot


def _fill(url: str, count: int) -> list[str]:
    """``count`` sessions over three products; some long, with state, metrics and endings."""
    store = open_store(url)
    feed = Feed(store)
    sids = [f"s{i:05}" for i in range(count)]
    for start in range(0, count, 100):
        feed.send({sid: {"open": opened("abc"[i % 3], f"v{i % 2}", T0 + i),
                         "events": [{"ts": T0 + i, "name": "e", "n": j} for j in range(3)],
                         "state": [[T0 + i, {"i": i}], [T0 + i + 1, {"i": i, "k": [i]}]],
                         "metrics": [{"ts": T0, "name": "fps", "type": "gauge", "last": i}],
                         "lifecycle": [[END, CRASH, HANG][i % 4]] if i % 4 < 3 else []}
                   for i, sid in enumerate(sids[start:start + 100], start)})
    feed.send({sids[0]: {"events": [{"ts": T0, "name": "more", "n": j} for j in range(600)],
                         "state": [[T0 + j, {"j": j}] for j in range(300)]}})
    store.close()
    return sids


def _copy(src: str, dst: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "datacat.cli", "store", "copy", src, dst],
                          capture_output=True, text=True, timeout=300)


def _view(url: str, sids: list[str]) -> dict:
    store = open_store(url)
    try:
        view = snapshot(store, *sids[:3], sids[-1])
        view["listed"] = [s["id"] for s in store.iter_sessions(SessionQuery(limit=500))]
        view["crashed"] = [s["id"] for s in store.iter_sessions(SessionQuery(status="crashed"))]
        view["state_at"] = store.state_at(sids[0], T0 + 150)
        return view
    finally:
        store.close()


def _strip(view: dict) -> dict:
    """Backend bookkeeping aside (``status_ix``), what a reader sees."""
    for record, *_ in view["sessions"].values():
        record.pop("status_ix", None)
    return view


def test_copy_to_redis_and_back_keeps_everything(tmp_path, redis_server):
    source = f"diskcache://{tmp_path / 'source'}"
    sids = _fill(source, 300)
    redis_url = redis_server.fresh_url()
    there = _copy(source, redis_url)
    assert there.returncode == 0, there.stderr
    assert "copied 300 sessions, 0 already there" in there.stderr
    assert "DIFFERS" not in there.stderr and "300/300 sessions" in there.stderr
    back_url = f"diskcache://{tmp_path / 'back'}"
    back = _copy(redis_url, back_url)
    assert back.returncode == 0, back.stderr
    expected = _strip(_view(source, sids))
    assert _strip(_view(redis_url, sids)) == expected
    assert _strip(_view(back_url, sids)) == expected
    again = _copy(source, redis_url)  # nothing left to do: nothing written twice
    assert again.returncode == 0 and "copied 0 sessions, 300 already there" in again.stderr
    assert _strip(_view(redis_url, sids)) == expected


def test_a_copy_killed_half_way_finishes_when_run_again(tmp_path, redis_server):
    source = f"diskcache://{tmp_path / 'source'}"
    sids = _fill(source, 3000)
    redis_url = redis_server.fresh_url()
    copying = subprocess.Popen([sys.executable, "-m", "datacat.cli", "store", "copy",
                                source, redis_url], stderr=subprocess.DEVNULL)
    destination = open_store(redis_url)
    try:
        wait_until(lambda: destination.get_session(sids[150]) is not None, timeout=120,
                   message="the copy to get going")
        copying.send_signal(signal.SIGKILL)
        copying.wait(30)
        assert destination.get_session(sids[-1]) is None, "the copy was not interrupted"
    finally:
        destination.close()
    rerun = _copy(source, redis_url)
    assert rerun.returncode == 0, rerun.stderr
    assert "DIFFERS" not in rerun.stderr and ", 0 already there" not in rerun.stderr
    assert _strip(_view(redis_url, sids)) == _strip(_view(source, sids))


def test_a_bad_store_url_is_one_line_and_status_2(tmp_path):
    result = _copy("nope://x", f"diskcache://{tmp_path / 'd'}")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "nope://x" in result.stderr
