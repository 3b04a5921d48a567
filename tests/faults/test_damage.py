"""Damaged daemon files and a full disk: the daemon comes up, quarantines what is damaged, and
everything else flows on."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import wait_until

APP = """
import sys, datacat
product, count, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "hold"
s = datacat.create_session(product, "1.0")
print(s.id, flush=True)
for i in range(count):
    s.log_event("e", {"i": i})
s.update_state({"done": True})
if hold:
    assert s.flush(30)
    sys.stdin.read()  # until the test kills it
s.end(timeout=60)
"""


def run_app(tier, product: str, count: int, hold: bool = False) -> tuple[subprocess.Popen, str]:
    app = subprocess.Popen([sys.executable, "-c", textwrap.dedent(APP), product, str(count),
                            "hold" if hold else "end"], env=tier.env, text=True,
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    return app, app.stdout.readline().strip()


def damage(path: Path, how: str, rng: random.Random) -> None:
    size = path.stat().st_size
    if how == "truncate":
        os.truncate(path, min(size, 5))
    elif how == "zero":
        path.write_bytes(b"\0" * size)
    else:  # 64 random bytes somewhere past the first few
        data = bytearray(path.read_bytes())
        at = rng.randrange(0, max(1, size - 64))
        data[at:at + 64] = rng.randbytes(min(64, size - at))
        path.write_bytes(bytes(data))


def daemon_files(tier) -> dict[str, list[Path]]:
    spool = tier.runtime_dir / "spool"
    return {"journal": sorted((spool / "journal").glob("journal-*.log")),
            "batch": sorted((spool / "batches").glob("*.batch")),
            "checkpoint": [spool / "batches" / "checkpoint"],
            "clients": [spool / "clients.ckpt"],
            "registry": [tier.runtime_dir / "registry.msgpack"]}


@pytest.fixture
def leftovers(tier):
    """A daemon killed with batches spooled, frames journaled and a session watched; the tier
    is down. Returns the ids of the sessions it held."""
    tier.kill("ingest")
    tier.kill("broker")
    first, first_sid = run_app(tier, "Before", 200)
    assert first.wait(60) == 0
    held, held_sid = run_app(tier, "Held", 50, hold=True)
    wait_until(lambda: tier.daemon_stats()["spool_batches"] >= 2, 30, message="spooled batches")
    wait_until(lambda: all(paths and all(p.exists() for p in paths)
                           for paths in daemon_files(tier).values()), 30,
               message="every kind of daemon file on disk")
    held.send_signal(signal.SIGSTOP)  # it must not start a new daemon when this one dies
    tier.kill("daemon")
    held.kill()
    held.wait(60)
    return [first_sid, held_sid]


def comes_up_and_flows(tier) -> dict:
    """Start the tier and a daemon; a new app's session arrives whole. The daemon's stats."""
    tier.start("broker")
    tier.start("ingest")
    tier.start("daemon")
    app, sid = run_app(tier, "After", 300)
    assert app.wait(60) == 0
    wait_until(lambda: (s := tier.session(sid)) and s["status"] == "ended"
               and s["event_count"] == 300, 60, message="the new app's session, whole")
    assert tier.procs["daemon"].process.poll() is None
    return tier.daemon_stats()


KINDS = ["journal", "batch", "checkpoint", "clients", "registry"]
HOWS = ["truncate", "zero", "random"]


@pytest.mark.parametrize("kind,how", [(kind, HOWS[i % 3]) for i, kind in enumerate(KINDS)])
def test_one_damaged_file_is_set_aside_and_the_rest_flows(tier, leftovers, kind, how):
    rng = random.Random(kind)
    target = daemon_files(tier)[kind][0]
    damage(target, how, rng)
    stats = comes_up_and_flows(tier)
    if kind == "batch":
        assert any(reason.startswith("spool_damaged_batches") for reason in stats["drops"])
        assert list((target.parent / "quarantine").iterdir())
    else:  # nothing but the damaged file was lost: the sessions of the earlier run arrive
        for sid in leftovers:
            wait_until(lambda s=sid: tier.session(s), 60, message=f"session {sid} of before")
        assert tier.session(leftovers[0])["event_count"] == 200


@pytest.mark.parametrize("how", HOWS)
def test_every_file_damaged_at_once_still_comes_up(tier, leftovers, how):
    rng = random.Random(how)
    for paths in daemon_files(tier).values():
        for path in paths:
            damage(path, how, rng)
    comes_up_and_flows(tier)


#: 20,000 events of about 300 bytes logged at once: every batch is larger than the whole
#: 64 KiB disk under the spool, so none can be written until the disk grows.
BIG_EVENTS = """
import sys, datacat
s = datacat.create_session("Full", "1.0")
print(s.id, flush=True)
for i in range(20_000):
    s.log_event("e", {"i": i, "pad": "x" * 300})
s.end(timeout=60)
"""


def test_a_full_disk_under_the_spool_loses_nothing_once_space_returns(tmp_path, tier):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        tier.kill("daemon")
        tier.env["DATACAT_SPOOL_DIR"] = str(mount / "spool")
        tier.kill("broker")  # batches pile up in the spool until the disk is full
        tier.start("daemon")
        app = subprocess.Popen([sys.executable, "-c", textwrap.dedent(BIG_EVENTS)],
                               env=tier.env, text=True, stdout=subprocess.PIPE)
        sid = app.stdout.readline().strip()
        assert app.wait(120) == 0
        wait_until(lambda: (stats := tier.daemon_stats())["disk_write_failures"] > 0
                   and stats["spool_held_in_memory"] > 0, 60,
                   message="the spool's disk to refuse writes and batches held in memory")
        assert tier.procs["daemon"].process.poll() is None
        subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)
        tier.start("broker")
        wait_until(lambda: (s := tier.session(sid)) and s["status"] == "ended"
                   and s["event_count"] == 20_000, 120, message="every event after space returns")
        wait_until(lambda: tier.daemon_stats()["spool_held_in_memory"] == 0, 60,
                   message="held batches written or delivered")
        assert not tier.daemon_stats()["drops"]
    finally:
        tier.stop_all()
        subprocess.run(["umount", "-l", str(mount)], check=False)
