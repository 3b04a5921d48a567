"""structlog entries through ``StructlogProcessor`` become events of a real session."""

from __future__ import annotations

import pytest

from tests.helpers import all_events, wait_until

pytest.importorskip("structlog")

APP = """
import structlog, datacat
from datacat.structlog_processor import StructlogProcessor

session = datacat.init("Structlog", "1.0")
structlog.configure(processors=[
    structlog.processors.add_log_level,
    StructlogProcessor(level="warning"),
    structlog.processors.KeyValueRenderer(),
])
log = structlog.get_logger()
log.info("not kept", n=1)
log.warning("disk almost full", free_mb=12, path="/var")
try:
    {}["missing"]
except KeyError:
    log.exception("lookup failed", key="missing")
log.error("with a logger name", logger="billing")
print(session.id, flush=True)
"""


def test_entries_at_or_above_the_level_become_events(rig_stack):
    sid = rig_stack.run_app(APP).stdout.split()[-1]
    rig_stack.wait_session(sid, lambda s: s["status"] == "ended", what="the structlog app's session")
    events = wait_until(lambda: [e for e in all_events(rig_stack.get, sid)
                                 if e["name"] in ("log", "exception")] or None, 20, message="events")
    assert [(e["name"], e["level"], e["message"]) for e in events] == [
        ("log", "warning", "disk almost full"),
        ("exception", "error", "lookup failed"),
        ("log", "error", "with a logger name")]
    assert events[0]["data"] == {"free_mb": 12, "path": "/var"}
    assert events[1]["exception"]["type"] == "KeyError"
    assert any("missing" in line for line in events[1]["exception"]["stacktrace"])
    assert (events[1]["data"], events[2]["category"]) == ({"key": "missing"}, "billing")


def test_an_unknown_level_is_refused_at_setup():
    from datacat.structlog_processor import StructlogProcessor

    with pytest.raises(ValueError, match="level must be one of debug, info, warning, error, critical"):
        StructlogProcessor(level="loud")
    assert StructlogProcessor(level="WARN").threshold == StructlogProcessor(level="warning").threshold
