"""A TCP relay that holds every byte ``DELAY_MS`` in each direction: ``tc netem delay``'s
effect on one link, for kernels built without the netem qdisc.

``python delay_relay.py LISTEN_HOST:PORT TARGET_HOST:PORT DELAY_MS`` relays each connection
it accepts to the target. Each direction has a reader thread, which stamps what it receives
with the time it is due, and a writer thread, which sends it then, in order: a reply split
over many reads is held once, not once per read. Runs until killed.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections import deque

__all__ = ["relay"]

CHUNK = 1 << 18


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


def _pipe(source: socket.socket, sink: socket.socket, delay: float) -> None:
    """Copy ``source`` to ``sink``, each chunk ``delay`` seconds after it was read."""
    queue: deque[tuple[float, bytes]] = deque()
    ready = threading.Condition()

    def read() -> None:
        while True:
            try:
                data = source.recv(CHUNK)
            except OSError:
                data = b""
            with ready:
                queue.append((time.monotonic() + delay, data))
                ready.notify()
            if not data:
                return

    def write() -> None:
        while True:
            with ready:
                ready.wait_for(lambda: queue)
                due, data = queue.popleft()
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            try:
                if not data:
                    sink.shutdown(socket.SHUT_WR)
                    return
                sink.sendall(data)
            except OSError:
                return

    for target in (read, write):
        threading.Thread(target=target, daemon=True).start()


def relay(listen: tuple[str, int], target: tuple[str, int], delay: float) -> None:
    """Accept connections on ``listen`` forever; each is relayed to ``target``."""
    server = socket.create_server(listen, backlog=64)
    while True:
        client, _ = server.accept()
        upstream = socket.create_connection(target)
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _pipe(client, upstream, delay)
        _pipe(upstream, client, delay)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print("usage: delay_relay.py LISTEN_HOST:PORT TARGET_HOST:PORT DELAY_MS", file=sys.stderr)
        sys.exit(2)
    relay(_address(sys.argv[1]), _address(sys.argv[2]), float(sys.argv[3]) / 1000)
