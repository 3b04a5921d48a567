"""The documented wire fields and store key families are the code's: a change to either fails here
until docs/architecture.md and docs/store.md say the same."""

from __future__ import annotations

import re
from pathlib import Path

from datacat.protocol import RECORD_FIELDS, build_batch, build_part, decode_ack, encode_ack

ROOT = Path(__file__).parents[2]


def _doc(name: str) -> str:
    return (ROOT / "docs" / name).read_text()


def _braced(text: str, label: str) -> list[str]:
    """The names in the first ``{a, b, ...}`` after ``**label**``."""
    after = text[text.index(f"**{label}**"):]
    return [name.strip() for name in re.search(r"`\{([^}]*)\}`", after).group(1).split(",")]


def test_record_kinds_and_fields_are_as_documented():
    rows = re.findall(r"^\s*\| `(\w+)` \|([^|]*)\|$", _doc("architecture.md"), re.MULTILINE)
    documented = {kind: tuple(f.strip() for f in fields.split(",") if f.strip())
                  for kind, fields in rows}
    assert documented == {kind.name.lower(): fields for kind, fields in RECORD_FIELDS.items()}


def test_batch_part_and_ack_keys_are_as_documented():
    text = _doc("architecture.md")
    batch = build_batch("d", "k", 1, "h", 1.0, {}, [], {})
    part = build_part([1], [1], [1], [1], 1.0, [1])
    ack = decode_ack(encode_ack(1, "ok", "", "d"))
    assert _braced(text, "Batch") == list(batch)
    assert _braced(text, "Part") == list(part)
    assert sorted(_braced(text, "Ack")) == sorted(ack)


def test_store_key_families_are_as_documented():
    store = ROOT / "broker" / "store"
    code = "".join(path.read_text() for path in [*sorted(store.glob("kv*.py")), store / "codec.py"])
    used = set(re.findall(r'f?"([a-z]+)/', code))
    used |= set(re.findall(r'"\w+": \("([a-z]+)", "\w+_count"\)', code))  # STREAMS prefixes
    section = _doc("store.md").split("## Key-value layout", 1)[1].split("\n## ", 1)[0]
    table = next(block for block in section.split("\n\n") if block.startswith("| key"))
    documented = set(re.findall(r"`([a-z]+)/", table))
    assert documented == used
