"""Browser tests: the real stack (``datacat up``), apps feeding it, headless Chromium.

Everything here is session-scoped: the stack starts once, the apps run once (in
parallel), and one Chromium serves every test through a fresh context each.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from tests.helpers import free_port, kill_daemon, wait_until
from tests.integration.conftest import Stack, start_up

from . import apps

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: Screenshots for the README and docs, written by this test run.
#: ``make screenshots`` (DATACAT_SCREENSHOTS=1) refreshes docs/img; other runs keep the tree clean.
SHOTS = (Path(__file__).resolve().parents[2] / "docs" / "img" if os.environ.get("DATACAT_SCREENSHOTS")
         else Path(tempfile.gettempdir()) / "datacat-screenshots")


def chromium() -> str | None:
    """Debian's chromium (``/usr/bin/chromium``), or one on PATH."""
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Fed:
    """Session ids of the apps that ran, by what they did, and the still-running live app."""

    games: list[str]
    crash: str
    hang: str
    xss: str
    live: str
    live_app: subprocess.Popen
    stack: Stack
    extra: dict = field(default_factory=dict)

    def end_live(self) -> None:
        if self.live_app.poll() is None:
            self.live_app.communicate("\n", timeout=30)


@pytest.fixture(scope="session")
def browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = chromium()
    if executable is None:
        pytest.skip("chromium not found: `make test` as root installs it "
                    "(or: apt-get install chromium)")
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    ports = (free_port(), free_port(), free_port())
    runtime_dir = tmp / "run"
    broker = f"tcp://127.0.0.1:{ports[1]}"
    env = {**os.environ, "DATACAT_RUNTIME_DIR": str(runtime_dir), "DATACAT_BROKER": broker,
           "DATACAT_FLUSH_INTERVAL": "0.2"}
    process = start_up(tmp, tmp / "data", ports)
    yield Stack(process, f"http://127.0.0.1:{ports[0]}", broker, tmp / "data", runtime_dir, env)
    kill_daemon(runtime_dir)
    process.stop()


def _start(stack: Stack, source: str, *args: str, stdin: bool = False) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(source), *args], env=stack.env,
                            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _session(stack: Stack, sid: str) -> dict | None:
    response = httpx.get(f"{stack.url}/api/v1/sessions/{sid}", timeout=5)
    return response.json() if response.status_code == 200 else None


def _overview(stack: Stack) -> dict:
    return httpx.get(f"{stack.url}/dashboard/overview.json", timeout=5).json()


@pytest.fixture(scope="session")
def fed(stack):
    """Run every app at once, then wait until the store shows what each one did."""
    runs = {"game0": _start(stack, apps.GAME, "Orbit", "1.0", stack.url),
            "game1": _start(stack, apps.GAME, "Orbit", "1.1", stack.url),
            "game2": _start(stack, apps.GAME, "Forge", "2.0", stack.url),
            "crash": _start(stack, apps.CRASH), "hang": _start(stack, apps.HANG),
            "xss": _start(stack, apps.XSS)}
    live_app = _start(stack, apps.LIVE, stdin=True)
    ids, outputs = {}, {}
    for name, process in runs.items():
        out, err = process.communicate(timeout=60)
        outputs[name] = err
        ids[name] = out.split()[0]
    assert runs["crash"].returncode == 1 and "RuntimeError" in outputs["crash"], outputs["crash"]
    assert all(runs[n].returncode == 0 for n in runs if n != "crash"), outputs
    live = live_app.stdout.readline().strip()
    expected = {ids["crash"]: "crashed", live: "active", **{ids[n]: "ended" for n in runs
                                                            if n != "crash"}}
    for sid, status in expected.items():
        wait_until(lambda sid=sid, status=status: (s := _session(stack, sid))
                   and s["status"] == status, 30, message=f"session {sid} to be {status}")
    wait_until(lambda: (s := _session(stack, ids["hang"])) and s["hangs"], 30,
               message="the hang episode")
    wait_until(lambda: (o := _overview(stack))["total"] == len(expected) and o["live"] == 1, 30,
               message="the dashboard's index to hold every session")
    fed = Fed([ids["game0"], ids["game1"], ids["game2"]], ids["crash"], ids["hang"], ids["xss"],
              live, live_app, stack)
    yield fed
    fed.end_live()


class Watched:
    """A page plus everything it did wrong: console errors, page errors, requests off-host."""

    def __init__(self, page, base: str):
        self.page, self.base = page, base
        self.errors: list[str] = []
        self.offsite: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("request", self._request)

    def _request(self, request) -> None:
        url = urlparse(request.url)
        if url.scheme not in ("data", "blob", "about") and url.hostname != "127.0.0.1":
            self.offsite.append(request.url)

    def open(self, path: str, plots: int = 0):
        """Go to ``path`` and wait until at least ``plots`` Plotly graphs are drawn."""
        response = self.page.goto(self.base + path)
        assert response.status == 200, f"{path}: {response.status}"
        if plots:
            self.page.wait_for_function(
                "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n", arg=plots)
        return self.page

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"))

    def check(self) -> None:
        assert not self.errors, f"console errors: {self.errors}"
        assert not self.offsite, f"requests leaving 127.0.0.1: {self.offsite}"
        assert not self.dialogs, f"dialogs opened (script ran): {self.dialogs}"


@pytest.fixture
def web(browser, fed):
    """A fresh 1280×800 browser context on the fed stack; checked clean after the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="light")
    watched = Watched(context.new_page(), fed.stack.url)
    try:
        yield watched
        watched.check()
    finally:
        context.close()
