"""Configuration: flags > env > file > defaults, and errors that name the key and the source."""

from __future__ import annotations

import pytest

from datacat.config import ConfigError, effective, resolve

FILE = """
[daemon]
broker = "tcp://tier:5555"
flush_interval = 2
secret_key = "/keys/daemon.key_secret"

[web]
port = 9000
"""


@pytest.fixture
def toml(tmp_path):
    def write(text: str):
        path = tmp_path / "datacat.toml"
        path.write_text(text)
        return path
    return write


def test_defaults_without_file_or_env():
    values = resolve("daemon", path=None, env={})
    assert values["broker"] == "tcp://127.0.0.1:5555" and values["flush_interval"] == 1.0
    assert values["spool_sync"] is True


def test_file_then_env_then_flags_win(toml):
    path = toml(FILE)
    assert resolve("daemon", path=path, env={})["flush_interval"] == 2.0  # int becomes float
    env = {"DATACAT_FLUSH_INTERVAL": "0.5", "DATACAT_BROKER": ""}  # empty env: not set
    values = resolve("daemon", path=path, env=env)
    assert values["flush_interval"] == 0.5 and values["broker"] == "tcp://tier:5555"
    assert resolve("daemon", {"flush_interval": 3.0}, path=path, env=env)["flush_interval"] == 3.0
    assert resolve("web", path=path, env={})["port"] == 9000


@pytest.mark.parametrize("text,named", [
    ("[daemon]\nflush_intervall = 1\n", "unknown key daemon.flush_intervall"),
    ("[deamon]\nbroker = 'x'\n", "unknown section [deamon]"),
    ("[web]\nport = 'eighty'\n", "port = 'eighty' is not an integer"),
    ("[web]\nport = -1\n", "port = -1 is not a port (1-65535)"),
    ("[daemon]\nspool_sync = 1\n", "spool_sync = 1 is not true or false"),
    ("[daemon\n", "not valid TOML"),
])
def test_bad_files_name_the_key_and_the_file(toml, text, named):
    path = toml(text)
    with pytest.raises(ConfigError) as error:
        resolve("daemon", path=path, env={})
    assert named in str(error.value) and str(path) in str(error.value)


def test_bad_env_and_flag_values_name_their_source():
    with pytest.raises(ConfigError, match=r"\$DATACAT_WEB_PORT: port = 'x' is not an integer"):
        resolve("web", path=None, env={"DATACAT_WEB_PORT": "x"})
    with pytest.raises(ConfigError, match="--spool-sync"):
        resolve("daemon", {"spool_sync": "maybe"}, path=None, env={})
    assert resolve("daemon", path=None, env={"DATACAT_SPOOL_SYNC": "0"})["spool_sync"] is False


def test_effective_configuration_masks_secrets(toml):
    shown = effective(path=toml(FILE), env={})
    assert shown["daemon"]["secret_key"] == "********"
    assert shown["daemon"]["broker"] == "tcp://tier:5555" and shown["web"]["port"] == 9000
    assert shown["broker"]["secret_key"] == ""  # unset stays visible as unset


def test_every_key_is_documented():
    from pathlib import Path

    from datacat.config import SCHEMA

    doc = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    for section, keys in SCHEMA.items():
        assert f"[{section}]" in doc
        for key in keys.values():
            assert f"| `{key.name}` |" in doc and f"`{key.env}`" in doc, (section, key.name)
