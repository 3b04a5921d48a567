"""A private network of hosts for tests: one network namespace per host, each joined by a veth
link to a bridge in a switch namespace of its own, and this process joined to it as one more
host ("the test's client"). Addresses are ``10.250.N.host/24`` for a subnet ``N`` no interface
here uses; nothing routes beyond it, so all traffic stays on these links.

Everything is created by ``Network`` and deleted by ``Network.close``: processes started with
``Host.spawn`` are killed first, then the namespaces (their links go with them).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Network", "Host", "NetnsUnavailable", "netns_missing"]


class NetnsUnavailable(RuntimeError):
    """Network namespaces cannot be made here (the message says why)."""


def netns_missing() -> str | None:
    """Why namespaces cannot be made here, or ``None`` (a refused ``ip netns add`` shows later)."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "network namespaces need iproute2 (the ip command)"
    return None


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, ["ip", *args], stderr=done.stderr)


@dataclass
class Host:
    """One namespace: its name, its address, and the processes started in it."""

    namespace: str
    address: str
    logs: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def spawn(self, name: str, argv: list[str], env: dict | None = None,
              **popen) -> subprocess.Popen:
        """Run ``argv`` in this host with ``env`` added to ours, its output in ``name.log``
        (``ip netns exec`` execs it: the pid is the program's)."""
        with open(self.logs / f"{name}.log", "ab") as log:
            process = subprocess.Popen(["ip", "netns", "exec", self.namespace, *argv],
                                       env={**os.environ, **(env or {})},
                                       stdout=popen.pop("stdout", log), stderr=log, **popen)
        self.processes.append(process)
        return process


    def cut_link(self) -> None:
        """Take the host's link down: it vanishes without closing its connections."""
        _ip("-n", self.namespace, "link", "set", "dev", "eth0", "down")


class Network:
    """``Network(logs)``, then ``add(name, last_octet)`` per host; ``close()`` removes it all."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.tag = f"{random.randrange(16 ** 4):04x}"
        self.subnet = self._free_subnet()
        self.switch = f"dc{self.tag}-switch"
        self.client_link = f"dc{self.tag}c"
        self.hosts: dict[str, Host] = {}
        self._namespaces: list[str] = []
        try:
            self._namespace(self.switch)
            _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
            _ip("-n", self.switch, "link", "set", "dev", "br0", "up")
            _ip("link", "add", self.client_link, "type", "veth", "peer", "name", "client",
                "netns", self.switch)
            self._plug("client")
            _ip("addr", "add", f"{self.address(254)}/24", "dev", self.client_link)
            _ip("link", "set", "dev", self.client_link, "up")
        except subprocess.CalledProcessError as exc:
            self.close()
            raise NetnsUnavailable(f"cannot build network namespaces: {exc.stderr.strip()}") from None

    @staticmethod
    def _free_subnet() -> int:
        used = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
        free = [n for n in range(256) if f" 10.250.{n}." not in used]
        return random.choice(free)

    def address(self, last_octet: int) -> str:
        return f"10.250.{self.subnet}.{last_octet}"

    def _namespace(self, name: str) -> None:
        _ip("netns", "add", name)
        self._namespaces.append(name)

    def _plug(self, port: str) -> None:
        """Attach the switch's end of a link to the bridge."""
        _ip("-n", self.switch, "link", "set", "dev", port, "master", "br0")
        _ip("-n", self.switch, "link", "set", "dev", port, "up")

    def add(self, name: str, last_octet: int) -> Host:
        """A host with ``lo`` and ``eth0`` (its address) up, linked to the switch."""
        namespace, address = f"dc{self.tag}-{name}", self.address(last_octet)
        self._namespace(namespace)
        _ip("link", "add", "eth0", "netns", namespace, "type", "veth", "peer", "name",
            f"p-{name}", "netns", self.switch)
        self._plug(f"p-{name}")
        _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
        _ip("-n", namespace, "link", "set", "dev", "eth0", "up")
        _ip("-n", namespace, "link", "set", "dev", "lo", "up")
        host = self.hosts[name] = Host(namespace, address, self.logs)
        return host

    def close(self) -> None:
        """Kill every spawned process, then delete the namespaces and links; idempotent."""
        for host in self.hosts.values():
            for process in host.processes:
                if process.poll() is None:
                    process.kill()
                process.wait(30)
            host.processes.clear()
        for namespace in reversed(self._namespaces):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, timeout=30)
        self._namespaces.clear()
        subprocess.run(["ip", "link", "del", self.client_link], capture_output=True, timeout=30)
