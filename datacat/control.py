"""The daemon's control channel: small msgpack requests over a REQ socket."""

from __future__ import annotations

import msgpack
import zmq

from .runtime import RuntimePaths

__all__ = ["ask"]


def ask(paths: RuntimePaths, request: dict, timeout: float = 1.0) -> dict | None:
    """Send one request to the daemon's control socket; ``None`` if it does not answer in time."""
    context = zmq.Context.instance()
    sock = context.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    try:
        sock.connect(paths.control_endpoint)
        sock.send(msgpack.packb(request))
        if not sock.poll(int(timeout * 1000)):
            return None
        reply = msgpack.unpackb(sock.recv(), raw=False)
        return reply if isinstance(reply, dict) else None
    except (zmq.ZMQError, ValueError):
        return None
    finally:
        sock.close(0)
