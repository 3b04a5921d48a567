"""Sessions on the dashboard pages of a live server: whole ids, hang rows, the crash report first."""

from __future__ import annotations

from datacat.protocol import Kind
from tests.helpers import wait_until

from .conftest import unique

T0 = 1_760_000_000.0


def test_session_ids_are_shown_whole_so_rows_with_one_time_prefix_differ(web):
    product = unique("Ids")
    # UUIDv7 ids started in the same millisecond share their first 13 characters
    sids = [f"019ae8f1-2c3d-7{n}aa-8bbb-{unique('c')[-10:]}cc" for n in range(2)]
    web.seed({sid: {"open": {"product": product, "version": "1.0", "ts": T0}} for sid in sids})

    def listed() -> str | None:
        page = web.client.get("/sessions", params={"product": product}).text
        return page if all(sid in page for sid in sids) else None

    page = wait_until(listed, message="both sessions listed")
    assert all(f'href="/sessions/{sid}">{sid}</a>' in page for sid in sids)
    assert "…</a>" not in page


def test_recent_hangs_show_the_hang_and_how_it_ended(web):
    sid = unique("hang")
    web.seed({sid: {"open": {"product": unique("Hang"), "version": "1.0", "ts": T0},
                    "lifecycle": [[int(Kind.HANG), T0 + 1, {"since_last_beat": 9}],
                                  [int(Kind.END), T0 + 5, {"reason": "end"}]]}})

    def row() -> str | None:
        page = web.client.get("/").text
        return page.split(f'href="/sessions/{sid}">{sid}</a>')[0].rsplit("<tr>", 1)[1] \
            if f">{sid}</a>" in page else None

    shown = wait_until(row, message="the hang listed among recent incidents")
    assert 'class="badge status-hung">hung</span>' in shown and "ended while hung" in shown
    assert "status-ended" not in shown


def test_a_crashed_session_shows_its_crash_report_before_its_timeline(web):
    sid = unique("crash")
    web.seed({sid: {"open": {"product": unique("Crash"), "version": "1.0", "ts": T0},
                    "lifecycle": [[int(Kind.CRASH), T0 + 2, {"reason": "fatal_signal"}]]}})
    page = web.client.get(f"/sessions/{sid}").text
    assert 0 < page.index('id="crash"') < page.index("<h2>Timeline</h2>")
