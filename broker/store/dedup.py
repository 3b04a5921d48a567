"""The dedup verdict every backend gives a daemon's ``(daemon_id, seq)``."""

from __future__ import annotations

from ..errors import DuplicateBatch, InvalidBatch

__all__ = ["SEQ_WINDOW", "check_seq"]

#: How far beyond a daemon's last applied seq a batch may be (a forged or corrupt seq
#: further on would make every later batch of that daemon look like a duplicate).
SEQ_WINDOW = 2**20


def check_seq(daemon_id: str, seq: int, last: int | None) -> None:
    """Accept ``seq`` after ``last`` (``None``: an unknown daemon, whose first seq is taken).

    ``DuplicateBatch`` if ``seq <= last``; ``InvalidBatch("seq_out_of_window")`` if it is
    more than ``SEQ_WINDOW`` beyond it.
    """
    if last is None:
        return
    if seq <= last:
        raise DuplicateBatch(f"{daemon_id}#{seq}")
    if seq - last > SEQ_WINDOW:
        raise InvalidBatch("seq_out_of_window",
                           f"seq {seq} of {daemon_id} is more than {SEQ_WINDOW} beyond "
                           f"its last applied seq {last}")
