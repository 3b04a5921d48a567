"""``datacat tokens create|list|revoke`` drive the web app's token file."""

from __future__ import annotations

import json
import subprocess
import sys


def datacat(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "datacat.cli", *args], capture_output=True,
                          text=True, timeout=30)


def test_create_list_revoke(tmp_path):
    tokens = str(tmp_path / "tokens.json")
    created = datacat("tokens", "create", "grafana", "--scopes", "read", "--tokens-file", tokens)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert len(secret) >= 32 and secret not in (tmp_path / "tokens.json").read_text()
    assert (tmp_path / "tokens.json").stat().st_mode & 0o077 == 0
    listed = json.loads(datacat("tokens", "list", "--json", "--tokens-file", tokens).stdout)
    assert [(t["name"], t["scopes"]) for t in listed] == [("grafana", ["read"])]
    assert datacat("tokens", "revoke", "grafana", "--tokens-file", tokens).returncode == 0
    assert json.loads(datacat("tokens", "list", "--json", "--tokens-file", tokens).stdout) == []


def test_a_bad_scope_and_a_missing_file_setting_are_named():
    bad = datacat("tokens", "create", "x", "--scopes", "root", "--tokens-file", "/tmp/t.json")
    assert bad.returncode == 2 and "root" in bad.stderr
    missing = datacat("tokens", "list")
    assert missing.returncode == 2 and "web.tokens_file" in missing.stderr
