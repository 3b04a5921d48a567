"""Slices (``tag``, ``state``, ``machine``) on a live server: release health, issues, the
issue detail and the pages, each against a hand count of the seeded sessions."""

from __future__ import annotations

import pytest

from datacat.broker.fingerprint import fingerprint
from datacat.protocol import Kind
from datacat.web.slicing import Slice, matching_sessions

from .conftest import unique

T0 = 1_760_000_000.0
EVIL = "<script>alert(9)</script>"


def _raised(kind: str) -> dict:
    return {"type": kind, "message": f"{kind} <b>x</b>", "stacktrace": ["Traceback\n"],
            "frames": [["/app/main.py", kind.lower(), 3, True]]}


def _fps(ts: float, *values: float) -> list[dict]:
    return [{"ts": ts + k, "name": "fps", "type": "gauge", "unit": "fps", "count": 1,
             "sum": v, "min": v, "max": v, "last": v} for k, v in enumerate(values)]


@pytest.fixture(scope="module")
def seeded(web):
    """Product P, by hand:

    ======  =======  ==================  =======  =====  ========================  =====
    id      version  tags                machine  level  outcome                   raised
    ======  =======  ==================  =======  =====  ========================  =====
    s0      1.0      env:qa gpu:nv       m1       3      crashed                   A
    s1      1.0      env:qa              m1       1      ended after 30 s          A
    s2      1.0      env:prod            m2       3      hung, recovered, ended
    s3      1.0      env:qa beta (bare)  m3       3      crashed                   B
    s4      2.0      env:qa              m2       3      ended after 30 s
    s5      2.0      env:prod            m1       1      crashed                   A
    ======  =======  ==================  =======  =====  ========================  =====

    fps windows: s0 40, 44; s4 50, 60, 70; s5 30.
    """
    product, kinds = unique("Slice"), (unique("AErr"), unique("BErr"))
    a, b = _raised(kinds[0]), _raised(kinds[1])
    crash = [int(Kind.CRASH), 20, {"reason": "unhandled_exception"}]
    end = [int(Kind.END), 30, {"reason": "end"}]
    hang = [[int(Kind.HANG), 5, {"since_last_beat": 5.0}], [int(Kind.RECOVER), 10, {}], end]
    plan = [("1.0", {"env": "qa", "gpu": "nv"}, "m1", 3, [crash], a, (40, 44)),
            ("1.0", {"env": "qa"}, "m1", 1, [end], a, ()),
            ("1.0", {"env": "prod"}, "m2", 3, hang, None, ()),
            ("1.0", {"env": "qa", "beta": ""}, "m3", 3, [crash], b, ()),
            ("2.0", {"env": "qa"}, "m2", 3, [end], None, (50, 60, 70)),
            ("2.0", {"env": "prod"}, "m1", 1, [crash], a, (30,))]
    sids = []
    for n, (version, tags, machine, level, lifecycle, raised, fps) in enumerate(plan):
        sid, start = unique("s"), T0 + 100 * n
        sids.append(sid)
        web.seed({sid: {
            "open": {"product": product, "version": version, "ts": start, "machine_id": machine,
                     "tags": tags, "hostname": "rig"},
            "state": [[start + 1, {"level": level, "note": EVIL}]],
            "events": [{"ts": start + 2, "name": "exception", "level": "error",
                        "exception": raised}] if raised else [],
            "metrics": _fps(start + 3, *fps),
            "lifecycle": [[kind, start + dt, detail] for kind, dt, detail in lifecycle]}})
    return product, fingerprint(a), fingerprint(b), sids


def _get(web, path: str, **params):
    response = web.client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json() if path.startswith("/api") else response.text


def health(web, product: str, **params) -> dict:
    body = _get(web, "/api/v1/products", product=product, **params)
    return {i["version"]: (i["total"], i["machines"], i["crash_free_sessions"],
                           i["crash_free_machines"], i["hang_free_sessions"],
                           i["hang_free_machines"]) for i in body["items"]}


def test_release_health_in_a_slice_is_the_hand_count(web, seeded):
    product = seeded[0]
    third = pytest.approx(1 / 3)
    assert health(web, product) == {"1.0": (4, 3, 0.5, third, 0.75, pytest.approx(2 / 3)),
                                    "2.0": (2, 2, 0.5, 0.5, 1.0, 1.0)}
    # env:qa in 1.0: s0, s1, s3 (s0 and s3 crashed, on m1 and m3)
    assert health(web, product, tag="env:qa") == {"1.0": (3, 2, third, 0.0, 1.0, 1.0),
                                                  "2.0": (1, 1, 1.0, 1.0, 1.0, 1.0)}
    # level 3 in 1.0: s0, s2 (hung on m2), s3
    assert health(web, product, state="level=3")["1.0"] == (
        3, 3, third, third, pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert health(web, product, tag="env:qa", state="level=3") == {
        "1.0": (2, 2, 0.0, 0.0, 1.0, 1.0), "2.0": (1, 1, 1.0, 1.0, 1.0, 1.0)}
    assert health(web, product, machine="m1") == {"1.0": (2, 1, 0.5, 0.0, 1.0, 1.0),
                                                  "2.0": (1, 1, 0.0, 0.0, 1.0, 1.0)}
    assert health(web, product, tag="beta")["1.0"][0] == 1  # a bare tag, by name
    assert health(web, product, tag=["env:qa", "gpu:nv"])["1.0"][0] == 1  # every tag holds
    none = health(web, product, tag="env:nowhere")
    assert none["1.0"] == (0, 0, None, None, None, None)


def test_a_sliced_answer_says_what_it_examined(web, seeded):
    product = seeded[0]
    body = _get(web, "/api/v1/products", product=product, version="2.0", tag="env:qa")
    assert body["slice"] == {"tag": ["env:qa"], "state": [], "machine": None}
    assert (body["examined"], body["sampled"]) == (2, False)
    assert body["items"][0]["median_seconds"] == 30.0
    assert "slice" not in _get(web, "/api/v1/products", product=product)


def issues(web, **params) -> dict:
    return {i["fingerprint"]: (i["count"], i.get("slice_sessions"))
            for i in _get(web, "/api/v1/issues", **params)["items"]}


def test_an_issue_counts_in_a_slice_through_its_sessions(web, seeded):
    product, a, b, sids = seeded
    assert issues(web, product=product) == {a: (3, None), b: (1, None)}
    assert issues(web, product=product, tag="env:qa") == {a: (3, 2), b: (1, 1)}
    assert issues(web, product=product, tag="env:prod") == {a: (3, 1)}
    assert issues(web, product=product, version="1.0", state="level=1") == {a: (2, 1)}
    assert issues(web, product=product, version="2.0", machine="m2") == {}
    body = _get(web, "/api/v1/issues", product=product, tag="env:qa", limit=1)
    assert [i["fingerprint"] for i in body["items"]] == [a] and body["next_cursor"]
    rest = _get(web, "/api/v1/issues", product=product, tag="env:qa", cursor=body["next_cursor"])
    assert [i["fingerprint"] for i in rest["items"]] == [b]

    detail = _get(web, f"/api/v1/issues/{a}", tag="env:prod")
    assert [s["id"] for s in detail["affected_sessions"]] == [sids[5]]
    assert (detail["slice_sessions"], detail["examined"], detail["sampled"]) == (1, 3, False)
    whole = _get(web, f"/api/v1/issues/{a}", machine="m1")
    assert [s["id"] for s in whole["affected_sessions"]] == [sids[0], sids[1], sids[5]]


@pytest.mark.parametrize("path, params, named", [
    ("/api/v1/products", {"tag": ":qa"}, "tag"),
    ("/api/v1/products", {"state": "=3"}, "state"),
    ("/api/v1/products", {"version": "1.0"}, "version"),
    ("/api/v1/issues", {"state": "=3"}, "state"),
    ("/api/v1/issues/0123456789abcdef", {"tag": ":"}, "tag")])
def test_a_malformed_slice_is_named(web, path, params, named):
    response = web.client.get(path, params=params)
    assert response.status_code == 400 and response.json()["error"] == "bad_parameter"
    assert repr(named) in response.json()["detail"]


def test_the_pages_show_the_slice_with_user_text_escaped(web, seeded):
    product, a, b, sids = seeded
    products = _get(web, "/products", tag="env:qa", machine=EVIL)
    assert 'value="&lt;script&gt;alert(9)&lt;/script&gt;"' in products
    assert "<script>alert(9)" not in products and "newest sessions examined" in products
    rows = _get(web, "/products", state="level=3").split(f"{product}</a>")[1].split("</tbody>")[0]
    one = rows.split("version=1.0")[1].replace("\n", "").replace(" ", "")
    assert '<tdclass="num">3</td><tdclass="num">3</td><tdclass="num">33.3%</td>' in one
    assert '<span class="muted">4 sessions</span>' in rows  # s0, s2, s3 in 1.0 and s4 in 2.0

    listing = _get(web, "/issues", product=product, tag="env:prod")
    assert f"/issues/{a}?tag=env%3Aprod" in listing and f"/issues/{b}" not in listing
    assert '<td class="num slice-sessions">1</td>' in listing
    detail = _get(web, f"/issues/{b}", tag="env:qa", state="level=3")
    assert f'href="/sessions/{sids[3]}"' in detail and "1 of its sessions" in detail


def test_compare_shows_a_metric_p50_and_p95_per_version_in_a_slice(web, seeded):
    product = seeded[0]
    page = _get(web, "/compare", product=product, a="1.0", b="2.0", metric="fps")
    table = page.split('id="compare-metric"')[1].split("</table>")[0]
    assert "<td class=\"num\">42</td><td class=\"num\">55</td>" in table  # p50
    assert "<td class=\"num\">43.8</td><td class=\"num\">68.5</td>" in table  # p95
    sliced = _get(web, "/compare", product=product, a="1.0", b="2.0", metric="fps",
                  tag="env:qa")
    table = sliced.split('id="compare-metric"')[1].split("</table>")[0]
    assert "<td class=\"num\">42</td><td class=\"num\">60</td>" in table
    assert "<td class=\"num\">1 of 3 read</td><td class=\"num\">1 of 1 read</td>" in table
    health = sliced.split('id="compare-health"')[1].split("</table>")[0]
    assert "<td class=\"num\">3</td><td class=\"num\">1</td>" in health  # sessions in the slice
    median = health.split("median session length")[1].split("</tr>")[0]
    assert median.endswith('<td class="num">30.0 s</td>')  # s4 ran 30 s


def test_a_slice_examines_at_most_its_cap_newest_first(web, seeded):
    product, _, _, sids = seeded
    capped = matching_sessions(web.store, Slice(tags=("env:qa",)), product, cap=3)
    assert (capped.examined, capped.sampled) == (3, True)
    assert [s["id"] for s in capped.sessions] == [sids[4], sids[3]]  # of s5, s4, s3
    whole = matching_sessions(web.store, Slice(tags=("env:qa",)), product)
    assert (whole.examined, whole.sampled, len(whole.sessions)) == (6, False, 4)
    level = matching_sessions(web.store, Slice(states=("level=1",), machine="m1"), product)
    assert [s["id"] for s in level.sessions] == [sids[5], sids[1]]


def test_the_product_page_in_a_slice_counts_the_slice(web, seeded):
    import re

    product = seeded[0]

    def versions(**params) -> dict:
        html = _get(web, f"/products/{product}", **params)
        table = html.split('id="versions-table"')[1].split("</table>")[0]
        rows = re.findall(r'version=[^"]*">([^<]+)</a></td>\s*<td class="num">(\d+)</td>'
                          r'<td class="num">(\d+)</td>', table)
        return {version: (int(total), int(crashed)) for version, total, crashed in rows}

    assert versions() == {"1.0": (4, 2), "2.0": (2, 1)}
    assert versions(tag="env:qa") == {"1.0": (3, 2), "2.0": (1, 0)}  # s0 s1 s3 | s4
    assert versions(state="level=1") == {"1.0": (1, 0), "2.0": (1, 1)}  # s1 | s5
    assert versions(machine="m2") == {"1.0": (1, 0), "2.0": (1, 0)}  # s2 | s4
    page = _get(web, f"/products/{product}", tag="env:qa", state=f"note={EVIL}")
    assert EVIL not in page and "counted from the" in page


def test_the_overview_in_a_slice_counts_the_slice(web, seeded):
    sids = seeded[3]
    data = web.client.get("/dashboard/overview.json",
                          params={"tag": "env:qa", "state": f"note={EVIL}"}).json()
    assert (data["total"], data["by_status"]["crashed"], data["by_status"]["ended"]) == (4, 2, 2)
    assert [row["id"] for row in data["recent"]] == [sids[3], sids[0]]  # crashes, newest first
    assert data["sliced"]["examined"] >= 6 and not data["sliced"]["sampled"]
    assert data["figures"]["rates"]["data"][0]["y"] == [33.33, 100.0]  # crash-free %: 1.0, 2.0
    page = _get(web, "/", tag="env:qa", state=f"note={EVIL}")
    assert EVIL not in page and "counted from the" in page


def test_series_and_annotations_in_a_slice(web, seeded):
    product, sids = seeded[0], seeded[3]
    window = {"from": T0 - 60, "to": T0 + 3600, "product": product}
    body = web.client.get("/api/v1/series", params={**window, "metric": "crash_free_rate",
                                                    "step": "1h", "tag": "env:qa"}).json()
    rates = {c: [r[c] for r in body["rows"] if r[c] is not None] for c in ("1.0", "2.0")}
    assert rates == {"1.0": [pytest.approx(1 / 3)], "2.0": [1.0]}  # s0 s1 s3 | s4
    notes = web.client.get("/api/v1/annotations", params={**window, "machine": "m1"}).json()
    assert sorted((n["kind"], n["session_id"]) for n in notes) == sorted([
        ("crash", sids[0]), ("crash", sids[5])])  # m1: s0 and s5 crashed; no releases in a slice
    bad = web.client.get("/api/v1/series", params={**window, "state": "=3"})
    assert bad.status_code == 400 and "state" in bad.json()["detail"]
