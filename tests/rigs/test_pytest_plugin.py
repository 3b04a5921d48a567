"""The pytest plugin in real pytest runs of a small project, against a real ``datacat up``."""

from __future__ import annotations

import os
import re
import signal
import subprocess

import pytest

from datacat.pytest_plugin import git_version
from tests.helpers import all_events, wait_until
from tests.rigs.project import OUTCOMES_FILE, run_pytest, start_pytest, write_project

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return write_project(tmp_path_factory.mktemp("rig") / "rigproject")


def sessions_of(stack, product: str) -> list[dict]:
    return stack.get("/api/v1/sessions", product=product, limit=100).json()["items"]


def only_session(stack, product: str, status: str) -> dict:
    """The one session of ``product``, once it has ``status``, with its state."""
    def found():
        items = sessions_of(stack, product)
        return len(items) == 1 and items[0]["status"] == status and items[0]
    session = wait_until(found, 30, message=f"one {status} session of {product}")
    return stack.session(session["id"]) | stack.get(f"/api/v1/sessions/{session['id']}").json()


def test_events_state_histograms_and_tags_of_a_run(rig_stack, project):
    result = run_pytest(project, rig_stack.env, "--datacat", "--datacat-product", "Outcomes",
                        "--datacat-version", "2.0", "--datacat-tag", "ci=nightly", OUTCOMES_FILE,
                        "test_many.py")
    assert result.returncode == 1, result.stdout  # a failing test fails the run, as without us
    session = only_session(rig_stack, "Outcomes", "ended")
    assert (session["version"], session["tags"], session["reason"]) == ("2.0", {"ci": "nightly"}, "end")
    # one outcome per test: the test whose teardown failed is an error, not also a pass
    assert session["state"]["counts"] == {"passed": 9, "failed": 1, "skipped": 1, "error": 2,
                                          "xfailed": 1, "xpassed": 1}
    assert "current_test" not in session["state"]  # no test runs
    assert session["state"]["exitstatus"] == 1

    events = {e["data"]["nodeid"]: e for e in all_events(rig_stack.get, session["id"])
              if e["name"] == "test"}
    assert len(events) == 15
    outcomes = {nodeid.split("::")[1]: (e["data"]["outcome"], e["data"]["when"], e["level"])
                for nodeid, e in events.items() if nodeid.startswith(OUTCOMES_FILE)}
    assert outcomes == {"test_passes": ("passed", "call", "info"),
                        "test_fails": ("failed", "call", "error"),
                        "test_skipped": ("skipped", "call", "info"),
                        "test_setup_error": ("error", "setup", "error"),
                        "test_teardown_error": ("error", "teardown", "error"),
                        "test_xfails": ("xfailed", "call", "info"),
                        "test_xpasses": ("xpassed", "call", "warning")}
    failed = events[f"{OUTCOMES_FILE}::test_fails"]
    assert "arithmetic is off" in failed["message"]
    assert failed["exception"]["type"] == "AssertionError"
    assert failed["exception"]["fingerprint"] == ["pytest", f"{OUTCOMES_FILE}::test_fails", "AssertionError"]
    assert any("assert 1 + 1 == expected" in line for line in failed["exception"]["stacktrace"])
    assert "fixture broke" in events[f"{OUTCOMES_FILE}::test_setup_error"]["exception"]["message"]
    assert "teardown broke" in events[f"{OUTCOMES_FILE}::test_teardown_error"]["message"]
    assert all(e["data"]["duration"] >= 0 for e in events.values())

    metrics = rig_stack.get(f"/api/v1/sessions/{session['id']}/metrics", limit=100).json()["items"]
    per_file = {}
    for point in metrics:
        assert point["name"] == "test_duration" and point["type"] == "histogram"
        per_file[point["tags"]["file"]] = per_file.get(point["tags"]["file"], 0) + point["count"]
    assert per_file == {OUTCOMES_FILE: 7, "test_many.py": 8}


@pytest.mark.parametrize("test, reason, returncode, args", [
    ("test_dies.py::test_dies", "process_vanished", 3, ()),
    # pytest's own faulthandler would take the signal: without it, the SDK's records it
    ("test_segfaults.py::test_segfaults", "fatal_signal", -11, ("-p", "no:faulthandler")),
])
def test_a_run_that_dies_is_crashed_naming_its_test(rig_stack, project, test, reason, returncode, args):
    product = f"Dies-{reason}"
    result = run_pytest(project, rig_stack.env, "--datacat", "--datacat-product", product, *args,
                        test.split("::")[0])
    assert result.returncode == returncode, result.stdout
    session = only_session(rig_stack, product, "crashed")
    assert session["reason"] == reason
    assert session["state"]["current_test"] == test
    assert session["state"]["counts"]["passed"] == 1
    crash = [e for e in all_events(rig_stack.get, session["id"]) if e["name"] == "session_crashed"]
    assert crash and crash[0]["data"]["state"]["current_test"] == test
    if reason == "fatal_signal":
        assert crash[0]["data"]["signal"] == "SIGSEGV" and "test_segfaults" in crash[0]["data"]["traceback"]


@pytest.mark.parametrize("sig, status, reason", [(signal.SIGKILL, "crashed", "process_vanished"),
                                                  (signal.SIGTERM, "ended", "sigterm")])
def test_a_run_killed_by_a_ci_timeout_names_its_test(rig_stack, project, tmp_path, sig, status, reason):
    product = f"Killed-{reason}"
    process = start_pytest(project, {**rig_stack.env, "RELEASE_FILE": str(tmp_path / "never")},
                           "--datacat", "--datacat-product", product, "test_stalls.py")
    try:
        running = wait_until(lambda: [s for s in sessions_of(rig_stack, product)
                                      if (rig_stack.session(s["id"]) or {}).get("state", {})
                                      .get("current_test") == "test_stalls.py::test_stalls"], 30,
                             message="the run to be in test_stalls")
    finally:
        process.send_signal(sig)
        process.communicate(timeout=30)
    assert process.returncode == -sig
    session = only_session(rig_stack, product, status)
    assert session["id"] == running[0]["id"] and session["reason"] == reason
    assert session["state"]["current_test"] == "test_stalls.py::test_stalls"


def test_a_stalled_test_makes_the_run_hung_with_every_stack(rig_stack, project, tmp_path):
    release = tmp_path / "release"
    process = start_pytest(project, {**rig_stack.env, "RELEASE_FILE": str(release)}, "--datacat",
                           "--datacat-product", "Stalls", "--datacat-hang-timeout", "2",
                           "test_stalls.py")
    try:
        session = only_session(rig_stack, "Stalls", "hung")
        assert session["state"]["current_test"] == "test_stalls.py::test_stalls"
        hung = wait_until(lambda: [e for e in all_events(rig_stack.get, session["id"])
                                   if e["name"] == "application_appears_hung"], 20,
                          message="the hang event")
        stacks = hung[0]["data"]["stacks"]
        main = "".join(stacks["threads"][stacks["main"]])
        assert "test_stalls.py\", line " in main and "in test_stalls" in main
        assert "datacat-watchdog" in stacks["threads"]
    finally:
        release.touch()
        output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    session = only_session(rig_stack, "Stalls", "ended")
    assert session["hang_count"] >= 1 and session["hangs"][-1]["end"] is not None


def test_xdist_workers_are_child_sessions_of_the_run(rig_stack, project):
    env = {**rig_stack.env, "DATACAT_PYTEST": "1"}
    result = run_pytest(project, env, "-p", "xdist", "-n", "2", "--datacat-product", "Xdist",
                        OUTCOMES_FILE, "test_many.py")
    assert result.returncode == 1, result.stdout
    assert re.search(r"1 failed, 10 passed, 1 skipped, 1 xfailed, 1 xpassed, 2 errors", result.stdout)

    def ended():
        items = sessions_of(rig_stack, "Xdist")
        return len(items) == 3 and all(s["status"] == "ended" for s in items) and items
    items = wait_until(ended, 30, message="the controller's and two workers' sessions ended")
    controller = next(s for s in items if s["parent_session_id"] is None)
    workers = [s for s in items if s is not controller]
    assert {w["parent_session_id"] for w in workers} == {controller["id"]}
    assert {w["tags"]["xdist_worker"] for w in workers} == {"gw0", "gw1"}
    assert rig_stack.session(controller["id"])["state"]["counts"]["passed"] == 9
    nodeids = [e["data"]["nodeid"] for w in workers for e in all_events(rig_stack.get, w["id"])
               if e["name"] == "test"]
    assert len(nodeids) == len(set(nodeids)) == 15
    assert not [e for e in all_events(rig_stack.get, controller["id"]) if e["name"] == "test"]


def test_an_unreachable_daemon_changes_nothing(project, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    env = {**os.environ, "DATACAT_RUNTIME_DIR": str(blocker / "run")}
    plain = run_pytest(project, env, OUTCOMES_FILE)
    recorded = run_pytest(project, env, "--datacat", OUTCOMES_FILE)
    assert recorded.returncode == plain.returncode == 1
    summary = re.compile(r"^\d+ failed.*? in ", re.M)
    assert summary.search(recorded.stdout)[0] == summary.search(plain.stdout)[0]


def test_off_by_default(project, tmp_path):
    runtime = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k != "DATACAT_PYTEST"}
    result = run_pytest(project, {**env, "DATACAT_RUNTIME_DIR": str(runtime)}, "test_many.py")
    assert result.returncode == 0, result.stdout
    assert not runtime.exists()  # no session, so no daemon was started
    usage = run_pytest(project, env, "--datacat-tag", "nokey", "test_many.py")
    assert usage.returncode == 0  # options are checked only when the plugin is on
    bad = run_pytest(project, env, "--datacat", "--datacat-tag", "nokey", "test_many.py")
    assert bad.returncode == 4 and "--datacat-tag wants KEY=VALUE, not 'nokey'" in bad.stderr


def test_an_xdist_worker_that_dies_is_a_crashed_child(rig_stack, project):
    env = {**rig_stack.env, "DATACAT_PYTEST": "1"}
    result = run_pytest(project, env, "-p", "xdist", "-n", "1", "--datacat-product", "XdistDies",
                        "test_dies.py", "test_many.py")
    assert result.returncode == 1 and "worker 'gw0' crashed" in result.stdout, result.stdout

    def settled():
        items = sessions_of(rig_stack, "XdistDies")
        return len(items) == 3 and all(s["status"] in ("ended", "crashed") for s in items) and items
    items = wait_until(settled, 30, message="the controller's and both workers' sessions settled")
    controller = next(s for s in items if s["parent_session_id"] is None)
    assert controller["status"] == "ended"
    counts = rig_stack.session(controller["id"])["state"]["counts"]
    assert (counts["passed"], counts["failed"]) == (9, 1)  # the test the worker died in failed
    crashed = [s for s in items if s["status"] == "crashed"]
    assert len(crashed) == 1 and crashed[0]["parent_session_id"] == controller["id"]
    assert rig_stack.session(crashed[0]["id"])["state"]["current_test"] == "test_dies.py::test_dies"


def test_the_default_version_is_git_describe_of_the_rootdir(tmp_path):
    assert git_version(tmp_path) is None  # not a repository
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "start"], ["tag", "v1.2"]):
        subprocess.run(git + args, check=True, capture_output=True)
    assert git_version(tmp_path) == "v1.2"
    (tmp_path / "new").write_text("")
    subprocess.run(git + ["add", "new"], check=True)
    assert git_version(tmp_path) == "v1.2-dirty"
