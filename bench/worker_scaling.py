"""1, 2 and 4 ingest workers into Redis with 1 ms of round trip between them and Redis.

Builds hosts as network namespaces on a private bridge (``tests/hosts``, root only): a
Redis host, a broker host and an ingest host. Each direction of the Redis host's link is
delayed 0.5 ms by ``tc netem`` on both of its ends or, on a kernel without the netem qdisc,
by a relay on the Redis host (``delay_relay.py``) that workers reach Redis through, its hold
set so that a round trip through it takes 1 ms more than straight to Redis. So the
workers wait on the network more than on this machine's cores, as they would on hosts of
their own.

A real broker (CURVE on both sides) and real ``datacat ingest`` processes; daemons of
``_feeder`` send pre-built batches through the broker, one in flight each. A round measures
1 worker, then 2, then 4 (workers are started, each ready once it has reported an applied
batch), the next round 4, 2, 1 (workers are stopped), each run storing
``BATCHES_PER_WORKER`` batches per worker; ``ROUNDS`` rounds, medians, and each ratio
against the single worker of its own round. Each run also reads the CPU time the workers
used and how busy the whole machine was: a worker that waits for a core, not for Redis,
shows as a flat rate per worker CPU-second and a busy machine. Then every stored event is
counted, and Redis ``used_memory`` per stored event is read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _feeder import Feeder
from _util import Report, bench_env, median, wait_until

from datacat.broker.store import open_store
from datacat.curve import CurveKeys, load_keys, load_public_key
from tests.hosts.netns import Network, netns_missing
from tests.hosts.parts import make_keys, start_broker, start_redis, start_worker
from tests.redis_servers import redis, redis_missing

COUNTS = (1, 2, 4)
ROUNDS = 4
DAEMONS = 16  # batches in flight: enough to keep 4 workers busy
SESSIONS = 2  # per daemon (each batch has a part for each)
EVENTS = 200  # per batch
BATCHES_PER_WORKER = 250
DELAY_MS = 0.5  # each way
RELAY_PORT = 6380


def missing() -> str | None:
    return netns_missing() or (None if shutil.which("tc") else
                               "tc (iproute2) is not installed") or redis_missing()


def add_delay(network: Network, name: str, tmp: Path, direct: str) -> tuple[str, str]:
    """Delay both directions of host ``name``'s link; ``(how, the URL workers reach Redis by)``.

    ``direct`` is Redis' own URL. A relay's own overhead counts towards the delay: its hold is
    cut once so that the round trip through it is ``2 * DELAY_MS`` longer than without it.
    """
    host = network.hosts[name]
    ends = [(host.namespace, "eth0"), (network.switch, f"p-{name}")]
    failed = None
    for namespace, device in ends:
        done = subprocess.run(["ip", "netns", "exec", namespace, "tc", "qdisc", "add", "dev",
                               device, "root", "netem", "delay", f"{DELAY_MS}ms"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            failed = done.stderr.strip()
            break
    if failed is None:
        return f"tc netem delay {DELAY_MS} ms on both ends of the Redis host's link", direct
    url, hold = f"redis://{host.address}:{RELAY_PORT}/0", DELAY_MS
    relay = start_relay(host, hold, tmp)
    excess = round_trip_ms(url) - round_trip_ms(direct) - 2 * DELAY_MS
    if excess > 0.05 * DELAY_MS:
        relay.kill()
        relay.wait(30)
        hold = max(0.0, DELAY_MS - excess / 2)
        start_relay(host, hold, tmp)
    return (f"tc netem refused ({failed}): a relay on the Redis host holds each direction "
            f"{hold:.2f} ms (its own overhead makes up the rest)", url)


def start_relay(host, hold_ms: float, tmp: Path) -> subprocess.Popen:
    """``delay_relay.py`` on ``host``, from ``RELAY_PORT`` to Redis, once it relays a PING."""
    relay = host.spawn("relay", [sys.executable, str(Path(__file__).with_name("delay_relay.py")),
                                 f"{host.address}:{RELAY_PORT}", f"{host.address}:6379",
                                 str(hold_ms)])
    client = redis.Redis(host=host.address, port=RELAY_PORT, socket_timeout=2)

    def relays() -> bool:
        if relay.poll() is not None:
            raise RuntimeError(f"the delay relay exited: {(tmp / 'logs' / 'relay.log').read_text()}")
        try:
            return client.ping()
        except redis.RedisError:
            return False

    wait_until(relays, 30, message="the relay")
    client.close()
    return relay


def round_trip_ms(url: str) -> float:
    """Median PING round trip to ``url``, from this host."""
    client = redis.Redis.from_url(url)
    client.ping()
    times = []
    for _ in range(50):
        start = time.perf_counter()
        client.ping()
        times.append((time.perf_counter() - start) * 1e3)
    client.close()
    return median(times)


class Tier:
    """The broker, the feeding daemons and the workers started so far."""

    def __init__(self, network: Network, tmp: Path, store: str, stack):
        self.hosts = {"broker": network.add("broker", 2), "ingest": network.add("ingest", 3)}
        self.keys = make_keys(tmp, [f"ingest-{n}" for n in range(1, max(COUNTS) + 1)])
        self.store_url = store
        broker = self.hosts["broker"]
        start_broker(broker, "broker", self.keys, f"ipc://{tmp / 'broker.stats'}")
        self.feeder = Feeder(f"tcp://{broker.address}:5555",
                             CurveKeys(load_public_key(str(self.keys["broker"][0])),
                                       *load_keys(str(self.keys["app"][1]))),
                             DAEMONS, SESSIONS, EVENTS)
        stack.callback(self.feeder.close)
        self.workers: list[subprocess.Popen] = []
        self.store = open_store(store)
        stack.callback(self.store.close)

    def scale(self, count: int) -> None:
        """Start or stop workers until there are ``count``; return once each has applied a
        batch."""
        for worker in self.workers[count:]:
            worker.terminate()
            worker.wait(30)
        del self.workers[count:]
        while len(self.workers) < count:
            name = f"ingest-{len(self.workers) + 1}"
            self.workers.append(start_worker(self.hosts["ingest"], name, self.keys,
                                             [self.hosts["broker"]], self.store_url,
                                             daemon_timeout=2))
        pids = {worker.pid for worker in self.workers}
        if not pids:
            return

        def ready() -> bool:
            for worker in self.workers:
                if worker.poll() is not None:
                    raise RuntimeError(f"worker {worker.pid} exited with {worker.returncode}")
            self.feeder.send(self.feeder.build(DAEMONS))
            return {w["pid"] for w in self.store.workers()
                    if w["counters"].get("applied")} >= pids

        wait_until(ready, 120, interval=0.1, message=f"{count} workers to apply batches")

    def measure(self, count: int) -> tuple[float, float, float]:
        """Events/s stored by the workers running now; the CPU cores their processes and
        the whole machine were busy meanwhile."""
        queues = self.feeder.build(BATCHES_PER_WORKER * count)
        pids = [worker.pid for worker in self.workers]
        workers, machine = sum(map(cpu_seconds, pids)), busy_seconds()
        elapsed = self.feeder.send(queues)
        workers = sum(map(cpu_seconds, pids)) - workers
        machine = busy_seconds() - machine
        return (BATCHES_PER_WORKER * count * self.feeder.events_per_batch / elapsed,
                workers / elapsed, machine / elapsed)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) process ``pid`` has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_seconds() -> float:
    """CPU time every core of the machine has spent busy (not idle or waiting on I/O)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    report = Report("worker_scaling", f"1, 2, 4 ingest workers into Redis, {2 * DELAY_MS:g} ms "
                                      "round trip between them")
    why = missing()
    if why:
        report.note(f"skipped: {why}")
        return report.finish()
    with bench_env() as (stack, tmp):
        (tmp / "logs").mkdir()
        network = Network(tmp / "logs")
        stack.callback(network.close)
        direct = start_redis(network.add("redis", 1), tmp)
        how, store = add_delay(network, "redis", tmp, direct)
        report.note(f"delay: {how}; PING round trip {round_trip_ms(store):.2f} ms "
                    f"({round_trip_ms(direct):.2f} ms without the delay)")
        server = redis.Redis.from_url(direct)
        empty = server.info("memory")["used_memory"]
        tier = Tier(network, tmp, store, stack)
        samples: dict[int, list[float]] = {count: [] for count in COUNTS}
        cpu: dict[int, list[tuple[float, float]]] = {count: [] for count in COUNTS}
        for round_ in range(ROUNDS):  # up, then down: a drift in load is shared out
            for count in COUNTS if round_ % 2 == 0 else reversed(COUNTS):
                tier.scale(count)
                rate, workers, machine = tier.measure(count)
                samples[count].append(rate)
                cpu[count].append((workers, machine))
        tier.scale(0)
        stored = sum(tier.store.get_session(sid)["event_count"]
                     for daemon in tier.feeder.daemons.values() for sid in daemon.sids)
        if stored != tier.feeder.events_sent:
            raise RuntimeError(f"{stored:,} events stored, {tier.feeder.events_sent:,} acked")
        used = server.info("memory")["used_memory"] - empty
        server.close()
        report.note(f"{DAEMONS} daemons, one batch in flight each; batches of {EVENTS} events "
                    f"over {SESSIONS} sessions; {BATCHES_PER_WORKER} batches per worker per "
                    f"run; {stored:,} events stored in all, each counted")
        one = samples[1]
        for count in COUNTS:
            workers, machine = (median(column) for column in zip(*cpu[count]))
            per_cpu = median([rate / cores for rate, (cores, _) in zip(samples[count], cpu[count])])
            report.result(f"events/s, {count} worker{'s' * (count > 1)}", median(samples[count]),
                          "events/s", samples=samples[count], in_summary=count == 1,
                          baseline=f"the workers used {workers:.2f} cores ({per_cpu:,.0f} events "
                                   f"per CPU-s); the machine was busy {machine:.2f} of "
                                   f"{os.cpu_count()} cores")
        for count in COUNTS[1:]:
            ratios = [n / base for n, base in zip(samples[count], one)]
            report.result(f"{count} workers / 1 worker, events/s", median(ratios), "x",
                          at_least=0.8 * count, samples=ratios,
                          baseline=f"1 worker {median(one):,.0f}/s, {count} workers "
                                   f"{median(samples[count]):,.0f}/s (same rounds)")
        report.result("Redis memory per stored event", used / stored, "B/event", at_most=150,
                      baseline=f"used_memory {used:,} B over {stored:,} events")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
