"""Control channels (the daemon's, the broker's counters): one msgpack request over REQ."""

from __future__ import annotations

import msgpack
import zmq

__all__ = ["ask"]


def ask(endpoint: str, request: dict, timeout: float = 1.0) -> dict | None:
    """Send one request to ``endpoint``; ``None`` if it does not answer in time."""
    context = zmq.Context.instance()
    sock = context.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    try:
        sock.connect(endpoint)
        sock.send(msgpack.packb(request))
        if not sock.poll(int(timeout * 1000)):
            return None
        reply = msgpack.unpackb(sock.recv(), raw=False)
        return reply if isinstance(reply, dict) else None
    except (zmq.ZMQError, ValueError):
        return None
    finally:
        sock.close(0)
