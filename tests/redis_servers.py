"""Real redis-server processes for tests: one standalone server, one 3-master cluster.

Both listen on free ports of 127.0.0.1 with their files in a temporary directory, keep
nothing on disk (``--save '' --appendonly no``) and are stopped by ``stop``.
"""

from __future__ import annotations

import itertools
import shutil
import socket
import subprocess
from pathlib import Path

from .helpers import wait_until

try:
    import redis
except ImportError:  # ``redis_missing`` says so and the tests that need it skip
    redis = None

__all__ = ["RedisServer", "RedisCluster", "redis_missing"]

_counter = itertools.count()


def redis_missing() -> str | None:
    """Why Redis tests cannot run here, or ``None``."""
    if redis is None:
        return "the redis package is not installed (pip install -e '.[redis]')"
    for tool in ("redis-server", "redis-cli"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (scripts/system-deps.sh installs it as root)"
    return None


def _free_port_pair() -> int:
    """A port free together with port + 10000 (a cluster node's bus)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port >= 55535:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


def _start(directory: Path, port: int, *extra: str) -> subprocess.Popen:
    directory.mkdir(parents=True, exist_ok=True)
    log = open(directory / "redis.log", "ab")
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(directory), *extra],
        stdout=log, stderr=subprocess.STDOUT)
    log.close()
    client = redis.Redis(port=port)
    wait_until(lambda: process.poll() is not None or client.ping(), timeout=30,
               message=f"redis-server on port {port}")
    client.close()
    if process.poll() is not None:
        raise RuntimeError(f"redis-server on port {port} exited: "
                           f"{(directory / 'redis.log').read_text()[-2000:]}")
    return process


def _text(reply) -> str:
    if isinstance(reply, dict):
        return "\n".join(f"{key}:{value}" for key, value in reply.items())
    return reply.decode() if isinstance(reply, bytes) else str(reply)


class RedisServer:
    """One standalone server; ``fresh_url`` empties it for the next test."""

    def __init__(self, directory: Path, *extra: str):
        self.port = _free_port_pair()
        self.process = _start(directory, self.port, *extra)
        self.client = redis.Redis(port=self.port)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def fresh_url(self) -> str:
        self.client.flushall()
        return self.url

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(30)


class RedisCluster:
    """Three masters, no replicas; ``fresh_url`` gives each test its own key prefix."""

    def __init__(self, directory: Path):
        self.ports = [_free_port_pair() for _ in range(3)]
        self.processes = [
            _start(directory / str(port), port, "--cluster-enabled", "yes",
                   "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000")
            for port in self.ports]
        subprocess.run(["redis-cli", "--cluster", "create",
                        *(f"127.0.0.1:{port}" for port in self.ports),
                        "--cluster-replicas", "0", "--cluster-yes"],
                       check=True, capture_output=True, timeout=60)
        nodes = [redis.Redis(port=port) for port in self.ports]
        wait_until(lambda: all("cluster_state:ok" in _text(node.execute_command("CLUSTER INFO"))
                                for node in nodes),
                   timeout=60, message="the Redis cluster to be ready")
        for node in nodes:
            node.close()
        self.url = "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def fresh_url(self) -> str:
        return f"{self.url}?prefix=t{next(_counter)}:"

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(30)
