"""The ``/issues`` pages on a live server: listed, filtered, one issue's stack, text escaped."""

from __future__ import annotations

from datacat.broker.fingerprint import fingerprint
from datacat.protocol import Kind

from .conftest import unique

T0 = 1_760_000_000.0


def test_the_issues_pages_list_and_show_an_issue_with_user_text_escaped(web):
    product = unique("Page")
    raised = {"type": "<script>alert(1)</script>Error", "message": "bad <b>input</b>",
              "stacktrace": ['  File "/app/io.py", line 4, in <module>\n', "Error: <i>x</i>\n"],
              "frames": [["/app/io.py", "<module>", 4, True]]}
    sids = [unique("s") for _ in range(2)]
    web.seed({sid: {"open": {"product": product, "version": "1.0", "ts": T0,
                             "machine_id": f"m{n}"},
                    "events": [{"ts": T0 + 1, "name": "exception", "level": "error",
                                "exception": raised}]} for n, sid in enumerate(sids)})
    issue = fingerprint(raised)

    listing = web.client.get("/issues", params={"product": product})
    assert listing.status_code == 200
    page = listing.text
    assert f'href="/issues/{issue}"' in page and 'href="/issues" aria-current="page"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Error" in page and "<script>alert" not in page
    assert "bad &lt;b&gt;input&lt;/b&gt;" in page
    row = page.split(f'href="/issues/{issue}"')[1].split("</tr>")[0]
    assert '<td class="num">2</td><td class="num">2</td><td class="num">2</td>' in row
    assert 'release-new">new</span>' in row
    other = web.client.get("/issues", params={"product": unique("none")}).text
    assert issue not in other and "No exceptions recorded" in other

    detail = web.client.get(f"/issues/{issue}")
    assert detail.status_code == 200
    assert "Error: &lt;i&gt;x&lt;/i&gt;" in detail.text and "<i>x</i>" not in detail.text
    assert all(f'href="/sessions/{sid}"' in detail.text for sid in sids)
    assert detail.headers["content-security-policy"].startswith("default-src 'self'")


def test_an_unknown_issue_page_is_404_and_a_bad_cursor_shows_the_first_page(web):
    assert web.client.get("/issues/ffffffffffffffff").status_code == 404
    assert web.client.get("/issues", params={"cursor": "x", "sort": "nope"}).status_code == 200


def test_the_issues_page_filters_by_release_status_in_a_version(web):
    product = unique("Status")
    raised = {"type": unique("Gone"), "message": "m", "frames": [["/app/a.py", "f", 1, True]]}
    for n, (version, logged) in enumerate([("1.0", True), ("2.0", False), ("3.0", True)]):
        web.seed({unique("s"): {"open": {"product": product, "version": version, "ts": T0 + n},
                                "events": [{"ts": T0 + n, "name": "exception",
                                            "exception": raised}] if logged else []}})
    issue = fingerprint(raised)

    def listed(status: str) -> bool:
        page = web.client.get("/issues", params={"product": product, "version": "3.0",
                                                 "status": status}).text
        return f'href="/issues/{issue}"' in page

    assert listed("regressed") and not listed("new") and not listed("ongoing")


def test_the_compare_page_sets_two_versions_side_by_side(web):
    product = unique("Cmp")
    old, new, fixed = ({"type": unique(kind), "message": f"<{kind}>",
                        "frames": [["/app/a.py", kind, 1, True]]} for kind in ("Old", "New", "Fix"))
    crash = [[int(Kind.CRASH), T0 + 9, {"reason": "process_vanished"}]]
    plan = [("1.0", "m1", [old, fixed], crash), ("1.0", "m2", [], []),
            ("2.0", "m1", [old, new], []), ("2.0", "m3", [], [])]
    for version, machine, raised, lifecycle in plan:
        web.seed({unique("s"): {
            "open": {"product": product, "version": version, "ts": T0, "machine_id": machine},
            "events": [{"ts": T0 + 1, "name": "exception", "exception": e} for e in raised],
            "lifecycle": lifecycle}})
    page = web.client.get("/compare", params={"product": product, "a": "1.0", "b": "2.0"})
    assert page.status_code == 200
    health = page.text.split('id="compare-health"')[1].split("</table>")[0]
    assert "<th>crash-free sessions</th><td class=\"num\">50.0%</td><td class=\"num\">100.0%</td>" \
        in health
    groups = page.text.split('class="panel issue-group"')[1:]
    assert [fingerprint(new) in g for g in groups] == [True, False, False]
    assert [fingerprint(fixed) in g for g in groups] == [False, False, True]
    assert fingerprint(old) not in "".join(groups) and "&lt;New&gt;" in groups[0]
    assert web.client.get("/compare", params={"product": product}).text.count(
        'class="panel issue-group"') == 3  # the last two versions by default
