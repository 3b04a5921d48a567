"""The SDK's outbox layout: queued records as flat runs of items in one list.

A record is ``WIDTH`` consecutive items: a msgpack array header for its fields (a
``msgspec.Raw``, ``HEADS[n]`` for ``n`` fields), the fields in wire order, then empty
``Raw`` pads (``PAD``). An app thread adds one with a single ``list.extend`` of a tuple,
which the GIL makes atomic, so the list always holds whole records and its length is a
multiple of ``WIDTH``. The tuple is freed at once: a queued record is no object that the
cyclic garbage collector tracks (CPython keeps a record tuple holding a dict tracked, and
every collection while it waits walks it), and the flusher takes any number of records
with two slice operations.

msgspec packs a run of records as one array of items; with that array's header replaced by
the number of records, the bytes are those msgspec packs for the same records as tuples.
A record with more than ``WIDTH - 1`` fields (``open``) is packed when it is queued and
takes one item, its pads the rest.
"""

from __future__ import annotations

import msgspec

from .protocol import FrameEncoder, array_header

__all__ = ["WIDTH", "HEADS", "PAD", "record_items", "pack_records", "as_tuples"]

WIDTH = 11  # items per record: the header and up to 10 fields (an event has 10)
HEADS = tuple(msgspec.Raw(bytes((0x90 | n,))) for n in range(WIDTH))  # msgpack fixarray of n
PAD = msgspec.Raw(b"")
_FIELDS = {id(head): n for n, head in enumerate(HEADS)}
_WIDE_PADS = (PAD,) * (WIDTH - 1)


def record_items(fields: tuple) -> tuple:
    """The ``WIDTH`` items of a record (the hot paths in ``Session`` spell theirs out).

    Raises ``TypeError``/``ValueError``/``OverflowError``/``RecursionError`` when a record
    packed here at once (over ``WIDTH - 1`` fields) cannot be packed.
    """
    count = len(fields)
    if count < WIDTH:
        return (HEADS[count], *fields, *_WIDE_PADS[count:])
    return (msgspec.Raw(FrameEncoder().encode(fields)), *_WIDE_PADS)


def pack_records(encoder: msgspec.msgpack.Encoder, items: list) -> msgspec.Raw:
    """The msgpack array of the records in ``items`` (whole records), to put in a frame.

    Raises what ``encoder`` raises for a value it cannot pack (then see ``as_tuples``).
    """
    buffer = bytearray()
    encoder.encode_into(items, buffer)
    buffer[:len(array_header(len(items)))] = array_header(len(items) // WIDTH)
    return msgspec.Raw(buffer)


def as_tuples(items: list) -> list:
    """The records in ``items`` as tuples of their fields (for the SDK's careful packer)."""
    records = []
    for start in range(0, len(items), WIDTH):
        head = items[start]
        fields = _FIELDS.get(id(head))
        if fields is None:  # a record packed when it was queued
            records.append(tuple(msgspec.msgpack.decode(head)))
        else:
            records.append(tuple(items[start + 1:start + 1 + fields]))
    return records
