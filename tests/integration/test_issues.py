"""Issues end to end: real apps crash through daemon, broker and workers; the API groups them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid

import pytest

from tests.helpers import wait_until

APP = """
import sys, datacat
version, mode = sys.argv[1], sys.argv[2]
s = datacat.create_session({product!r}, version)
print(s.id, flush=True)

class SaveError(Exception): pass
class LoadError(Exception): pass
class FreshError(Exception): pass

def save():
    raise SaveError("disk full")

def load():
    raise LoadError("no level")

def fresh():
    raise FreshError("only in 2.0")

if mode == "save":
    save()
elif mode == "fresh":
    fresh()
else:
    try:
        load()
    except LoadError:
        s.log_exception()
    s.end()
"""


def test_crashes_on_two_machines_group_into_issues_new_and_regressed_with_crash_free_rates(
        stack, tmp_path):
    product = "Rel-" + uuid.uuid4().hex[:8]
    script = tmp_path / "game.py"
    script.write_text(textwrap.dedent(APP.format(product=product)))
    runs = [("1.0", "save", "m1"), ("1.0", "save", "m2"), ("1.0", "load", "m3"),
            ("2.0", "fresh", "m1"), ("3.0", "save", "m2")]
    sids = {}
    for version, mode, machine in runs:
        done = subprocess.run([sys.executable, str(script), version, mode], capture_output=True,
                              text=True, timeout=60, env={**stack.env, "DATACAT_MACHINE_ID": machine})
        assert done.returncode == (0 if mode == "load" else 1), done.stderr
        sids.setdefault(mode, []).append(done.stdout.split()[0])
    for sid in sum(sids.values(), []):
        stack.wait_session(sid, lambda s: s["status"] in ("crashed", "ended"), 30)

    def listed():
        body = stack.get("/api/v1/issues", product=product).json()
        found = {item["type"].rpartition(".")[2]: item for item in body["items"]}
        return found if sum(item["count"] for item in found.values()) == 5 else None

    issues = wait_until(listed, 30, message="five exceptions counted into issues")
    assert {kind: (i["count"], i["sessions"], i["machines"]) for kind, i in issues.items()} == {
        "SaveError": (3, 3, 2), "LoadError": (1, 1, 1), "FreshError": (1, 1, 1)}
    save = issues["SaveError"]
    assert save["first_version"] == {product: "1.0"}
    assert [(v["version"], v["count"], v["machines"], v["status"]) for v in save["versions"]] \
        == [("1.0", 2, 2, "new"), ("3.0", 1, 1, "regressed")]
    assert [(v["version"], v["status"]) for v in issues["FreshError"]["versions"]] \
        == [("2.0", "new")]
    regressed = stack.get("/api/v1/issues", product=product, version="3.0",
                          status="regressed").json()["items"]
    assert [i["fingerprint"] for i in regressed] == [save["fingerprint"]]

    detail = stack.get(f"/api/v1/issues/{save['fingerprint']}").json()
    assert sorted(s["id"] for s in detail["affected_sessions"]) == sorted(sids["save"])
    stack_lines = "".join(detail["samples"][0]["event"]["exception"]["stacktrace"])
    assert "in save" in stack_lines and "disk full" in stack_lines

    # by hand: 1.0 ran 3 sessions (2 crashed) on m1, m2 (crashed) and m3 (did not)
    health = {i["version"]: (i["total"], i["machines"], i["crash_free_sessions"],
                             i["crash_free_machines"])
              for i in stack.get("/api/v1/products").json()["items"] if i["product"] == product}
    assert health == {"1.0": (3, 3, pytest.approx(1 / 3), pytest.approx(1 / 3)),
                      "2.0": (1, 1, 0.0, 0.0), "3.0": (1, 1, 0.0, 0.0)}
