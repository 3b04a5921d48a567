"""A web app bound to a non-loopback address, in a network namespace of its own.

The namespace gets one end of a veth pair (198.18.0.0/15, the range set aside for
testing), so the server listens on a real interface address and this process reaches it
through the other end. Skipped where network namespaces cannot be made (not root).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys

import httpx
import pytest

from datacat.web.auth import create_token
from tests.helpers import free_port, wait_until

from .conftest import stop_web

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("ip"),
                                reason="network namespaces need root and iproute2")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@pytest.fixture()
def netns():
    """``(namespace, its address)``; the veth pair and the namespace go away afterwards."""
    tag = f"{os.getpid() % 10000}{random.randrange(100, 1000)}"
    name, host_end, ns_end = f"dcns{tag}", f"dch{tag}", f"dcn{tag}"
    a, b = random.randrange(0, 256), random.randrange(0, 64) * 4
    host_ip, ns_ip = f"198.18.{a}.{b + 1}", f"198.18.{a}.{b + 2}"
    try:
        try:
            _ip("netns", "add", name)
            _ip("link", "add", host_end, "type", "veth", "peer", "name", ns_end)
            _ip("link", "set", ns_end, "netns", name)
            _ip("addr", "add", f"{host_ip}/30", "dev", host_end)
            _ip("link", "set", host_end, "up")
            _ip("-n", name, "addr", "add", f"{ns_ip}/30", "dev", ns_end)
            _ip("-n", name, "link", "set", ns_end, "up")
            _ip("-n", name, "link", "set", "lo", "up")
        except subprocess.CalledProcessError as exc:
            pytest.skip(f"cannot set up a network namespace: {exc.stderr.decode().strip()}")
        yield name, ns_ip
    finally:
        subprocess.run(["ip", "link", "del", host_end], capture_output=True, timeout=10)
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


def _web_in(namespace: str, tmp, host: str, port: int, *extra: str) -> subprocess.Popen:
    log = open(tmp / f"web-{port}.log", "wb")
    return subprocess.Popen(
        ["ip", "netns", "exec", namespace, sys.executable, "-m", "datacat.web",
         "--store", f"diskcache://{tmp / 'store'}", "--host", host, "--port", str(port), *extra],
        stdout=log, stderr=subprocess.STDOUT)


def test_a_server_on_a_namespace_address_needs_tokens(netns, tmp_path):
    namespace, address = netns
    port = free_port()
    refused = _web_in(namespace, tmp_path, address, port)
    assert refused.wait(60) == 2
    assert "refusing to serve on" in (tmp_path / f"web-{port}.log").read_text()

    tokens = tmp_path / "tokens.json"
    reader = create_token(tokens, "reader", ["read"])
    writer = create_token(tokens, "writer", ["write"])
    process = _web_in(namespace, tmp_path, address, port, "--tokens-file", str(tokens))
    url = f"http://{address}:{port}"
    try:
        def up():
            assert process.poll() is None, (tmp_path / f"web-{port}.log").read_text()
            return httpx.get(url + "/health", timeout=2).status_code == 200

        wait_until(up, 30, message=f"{url}/health in {namespace}")
        body = {"product": "NetNS", "version": "1"}
        with httpx.Client(base_url=url, timeout=10) as client:
            assert client.get("/api/v1/products").status_code == 401
            assert client.post("/api/sessions", json=body).status_code == 401
            read = {"Authorization": f"Bearer {reader}"}
            write = {"Authorization": f"Bearer {writer}"}
            assert client.get("/api/v1/products", headers=read).status_code == 200
            assert client.post("/api/sessions", json=body, headers=read).status_code == 403
            created = client.post("/api/sessions", json=body, headers=write)
            assert created.status_code == 200, created.text
            assert client.get("/api/v1/products", headers=write).status_code == 403
            sid = created.json()["session_id"]
            assert client.get(f"/api/v1/sessions/{sid}", headers=read).json()["product"] == "NetNS"
    finally:
        assert stop_web(process) == 0
