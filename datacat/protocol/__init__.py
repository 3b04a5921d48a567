"""Wire protocol: the only package that knows how frames and batches are laid out.

Client -> daemon *frame* (msgpack array)::

    [PROTOCOL_VERSION, client_id, frame_seq, dropped, [record, ...]]

A *record* is a flat array whose first three fields are ``kind, session_id, ts``
(client wall-clock seconds); the rest depends on the kind (see ``RECORD_FIELDS``).
The SDK appends these tuples as-is, so building a record costs one tuple.

Daemon -> tier *batch* (msgpack map, version ``BATCH_VERSION``)::

    {v, daemon_id, key, seq, host, sent_at, stats, watching, sessions: {sid: part}}

``key`` is the daemon's secret and ``daemon_id`` is derived from it (``daemon_id_of``), so
only the daemon that holds the key can send batches under its id: nobody who merely knows the
id can poison its deduplication. ``watching`` lists the sessions whose processes it watches.

where each session ``part`` holds ``open`` (an open record's fields as a map),
``state`` ([ts, patch] list), ``event_rows`` (the session's event records, in order, as
the client packed them: the daemon passes small ones through as bytes, see ``rows``),
``metrics`` (aggregates) and ``lifecycle`` ([kind, ts, detail] list), applied in that
order. ``decode_batch`` checks each row and turns it into an event map in ``events``, the
field version-1 batches (still read) carry instead of ``event_rows``.
"""

from __future__ import annotations

from .batches import (
    BATCH_VERSION,
    build_batch,
    build_part,
    daemon_id_of,
    decode_ack,
    decode_batch,
    encode_ack,
    encode_batch,
    new_daemon_identity,
    peek_seq,
    read_spooled,
)
from .checks import check_record, check_tree
from .frames import Frame, FrameEncoder, array_header, decode_frame, encode_frame, frame_sender
from .records import (
    DEFAULT_LIMITS,
    LIFECYCLE_KINDS,
    METRIC_TYPES,
    OPEN_FIELD,
    PROTOCOL_VERSION,
    RECORD_FIELDS,
    InvalidData,
    Kind,
    Limits,
    ProtocolError,
    field_positions,
    record_as_dict,
)
from .rows import ROW, event_map, row_bytes, row_event, row_level, row_record, split_frame

__all__ = [
    "PROTOCOL_VERSION", "Kind", "Limits", "DEFAULT_LIMITS", "METRIC_TYPES", "InvalidData",
    "ProtocolError",
    "RECORD_FIELDS", "LIFECYCLE_KINDS",
    "Frame", "FrameEncoder", "array_header", "encode_frame", "decode_frame", "encode_batch",
    "decode_batch",
    "build_batch", "daemon_id_of", "new_daemon_identity", "frame_sender",
    "build_part", "field_positions", "OPEN_FIELD",
    "encode_ack", "decode_ack", "peek_seq", "record_as_dict", "check_tree", "check_record",
    "BATCH_VERSION", "read_spooled", "ROW", "split_frame", "row_bytes", "row_event",
    "row_record", "row_level", "event_map",
]
