"""Retention settings: days, and per-product days from a TOML table or the environment."""

from __future__ import annotations

import subprocess
import sys

import pytest

from datacat.broker.retention import Retention
from datacat.config import ConfigError, resolve


def test_a_table_in_the_file_and_its_env_form(tmp_path):
    path = tmp_path / "datacat.toml"
    path.write_text('[retention]\ndays = 30\nproducts = { "MyGame" = 90, "Audit" = 0 }\n')
    assert resolve("retention", path=path, env={}) == {
        "days": 30.0, "products": {"MyGame": 90, "Audit": 0}}
    env = {"DATACAT_RETENTION_PRODUCTS": "My Game=90, x=y=0.5,", "DATACAT_RETENTION_DAYS": "7"}
    assert resolve("retention", path=path, env=env) == {
        "days": 7.0, "products": {"My Game": 90.0, "x=y": 0.5}}
    assert resolve("retention", path=None, env={}) == {"days": 0.0, "products": {}}


@pytest.mark.parametrize("env,problem", [
    ({"DATACAT_RETENTION_DAYS": "-1"}, "days = -1.0 must not be negative"),
    ({"DATACAT_RETENTION_PRODUCTS": "MyGame"}, "is not a table of names to numbers"),
    ({"DATACAT_RETENTION_PRODUCTS": "=3"}, "is not a table of names to numbers"),
    ({"DATACAT_RETENTION_PRODUCTS": "a=-2"}, "gives 'a' -2.0: days must be a number, 0 or more"),
])
def test_mistakes_name_the_key(env, problem):
    with pytest.raises(ConfigError) as raised:
        resolve("retention", path=None, env=env)
    assert str(raised.value).startswith(f"${next(iter(env))}: ") and problem in str(raised.value)


def test_a_wrong_table_value_in_the_file_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "datacat.toml"
    path.write_text('[retention]\nproducts = { "MyGame" = "long" }\n')
    done = subprocess.run([sys.executable, "-m", "datacat.cli", "config"], capture_output=True,
                          text=True, env={"DATACAT_CONFIG": str(path), "PATH": ""}, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"datacat config: {path} [retention]: products = {{'MyGame': 'long'}} gives 'MyGame' "
        "'long': days must be a number, 0 or more"]


def test_passes_come_more_often_for_shorter_periods():
    assert Retention().every() is None and Retention(0, {"a": 0}).every() is None
    assert Retention(30).every() == 120.0
    assert Retention(0, {"a": 300 / 86400}).every() == 3.0
    assert Retention(1e-9).every() == 1.0
