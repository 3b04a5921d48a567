"""Human output by default, JSON with ``--json``."""

from __future__ import annotations

import json
import re

from tests.cli.support import datacat, isolated_env


def test_config_shows_the_real_spool_and_json_on_request(tmp_path):
    env = isolated_env(tmp_path)
    shown = datacat("config", env=env)
    assert shown.returncode == 0
    assert re.search(rf"^spool_dir +'{tmp_path / 'run' / 'spool'}'$", shown.stdout, re.MULTILINE)
    assert re.search(rf"^data_dir +'{tmp_path / 'data' / 'datacat'}'$", shown.stdout, re.MULTILINE)
    data = json.loads(datacat("config", "--json", env=env).stdout)
    assert data["daemon"]["spool_dir"] == str(tmp_path / "run" / "spool")


def test_tokens_list_is_a_table_with_local_times(tmp_path):
    env, tokens = isolated_env(tmp_path), str(tmp_path / "tokens.json")
    assert datacat("tokens", "create", "ci", "--tokens-file", tokens, env=env).returncode == 0
    lines = datacat("tokens", "list", "--tokens-file", tokens, env=env).stdout.splitlines()
    assert lines[0].split() == ["name", "scopes", "created"]
    assert re.fullmatch(r"ci\s+read\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", lines[1])
