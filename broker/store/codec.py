"""Encoding shared by the key-value layer: msgpack values and append-only item streams."""

from __future__ import annotations

from collections.abc import Iterator

import msgpack
import msgspec

__all__ = ["BLOCK", "SEP", "STREAMS", "pack", "unpack", "iter_items", "index_names",
           "rollup_key", "machine_key", "start_append"]

#: Items per stream block: an append rewrites at most one partial block.
BLOCK = 256
#: Separates user-supplied parts of a key.
SEP = "\x1f"
#: Stream name -> (key prefix, count field of the session record).
STREAMS = {"events": ("e", "event_count"), "metrics": ("m", "metric_count"),
           "history": ("h", "history_count")}


_ENCODER = msgspec.msgpack.Encoder()


def pack(value) -> bytes:
    """``value`` as msgpack: msgspec's encoder, whose bytes are msgpack's for every type the
    store holds (4x faster); msgpack's ``packb`` for a type msgspec does not encode."""
    try:
        return _ENCODER.encode(value)
    except (TypeError, msgspec.EncodeError):
        return msgpack.packb(value, use_bin_type=True)


def unpack(data: bytes | None, default=None):
    return default if data is None else msgpack.unpackb(data, raw=False, strict_map_key=False)


def iter_items(data: bytes, start: int = 0, stop: int | None = None) -> Iterator:
    """The items ``start .. stop`` of a stream block (a concatenation of packed values);
    those before ``start`` are stepped over without being decoded."""
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=len(data) + 1)
    unpacker.feed(data)
    try:
        for _ in range(start):
            unpacker.skip()
    except msgpack.OutOfData:
        return
    count = None if stop is None else stop - start
    for n, item in enumerate(unpacker):
        if n == count:
            return
        yield item


def index_names(product: str, version: str) -> tuple[str, ...]:
    """The session indexes a session of ``product`` ``version`` belongs to."""
    return ("all", "p" + product, "v" + product + SEP + version)


def rollup_key(product: str, version: str) -> str:
    """The key of the (product, version) rollup."""
    return "r/" + product + SEP + version


def machine_key(product: str, version: str, machine: str) -> str:
    """The key of a machine's bits in the (product, version) rollup."""
    return "rm/" + product + SEP + version + SEP + machine


def start_append(stream: str, session: dict, items: list) -> tuple[str, str, int]:
    """``(key prefix, count field, count before)`` of an append; events get their ``seq``."""
    prefix, count_field = STREAMS[stream]
    count = session.get(count_field, 0)
    if stream == "events":
        for offset, item in enumerate(items):
            item["seq"] = count + offset
    return prefix, count_field, count
