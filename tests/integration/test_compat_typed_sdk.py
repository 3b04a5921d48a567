"""Sessions written by the SDK through the daemon and tier decode in the original's types."""

from __future__ import annotations

import msgspec

from tests.helpers import wait_until
from tests.web.test_compat_typed import Session


def test_sdk_session_decodes_strictly(stack):
    sid = stack.run_app("""
        import datacat
        s = datacat.create_session("TypedSDK", "1")
        s.update_state({"scene": "forest"})
        s.log_event("start", {"k": 1})
        try:
            raise ValueError("bad")
        except ValueError as exc:
            s.log_exception(exc)
        s.log_gauge("fps", 60.0, tags={"scene": "forest", "gpu": "x"})
        s.log_counter("frames", 3)
        s.log_histogram("frame_ms", 16.0, unit="ms")
        with s.timer("load"):
            pass
        s.end()
        print(s.id)
    """).stdout.strip()

    def decoded():
        response = stack.get(f"/api/sessions/{sid}")
        if response.status_code != 200:
            return None
        session = msgspec.json.decode(response.content, type=Session, strict=True)
        return session if session.ended_at and len(session.metrics) >= 4 else None

    session = wait_until(decoded, 60, message="the SDK session, ended with its metrics")
    assert session.state == {"scene": "forest"} and len(session.events) == 2
    assert session.events[1].exception_type == "ValueError" and session.events[1].stacktrace
    assert {m.type for m in session.metrics} == {"gauge", "counter", "histogram", "timer"}
    fps = next(m for m in session.metrics if m.name == "fps")
    assert fps.tags == ["gpu:x", "scene:forest"]
