"""``datacat keys``: an existing pair is never replaced without --force; names stay in --dir."""

from __future__ import annotations

from tests.cli.support import datacat, isolated_env


def test_keys_are_not_overwritten_without_force(tmp_path):
    env, keys = isolated_env(tmp_path), tmp_path / "keys"
    assert datacat("keys", "broker", "--dir", str(keys), env=env).returncode == 0
    secret = (keys / "broker.key_secret").read_bytes()
    assert (keys / "broker.key_secret").stat().st_mode & 0o077 == 0
    again = datacat("keys", "broker", "--dir", str(keys), env=env)
    assert again.returncode == 2 and "--force" in again.stderr and "Traceback" not in again.stderr
    assert (keys / "broker.key_secret").read_bytes() == secret
    forced = datacat("keys", "broker", "--dir", str(keys), "--force", env=env)
    assert forced.returncode == 0 and (keys / "broker.key_secret").read_bytes() != secret


def test_a_name_with_a_path_writes_nothing(tmp_path):
    keys = tmp_path / "keys"
    result = datacat("keys", "../evil", "--dir", str(keys), env=isolated_env(tmp_path))
    assert result.returncode == 2
    assert not (tmp_path / "evil.key").exists() and not keys.exists()
