"""The deployment examples stay valid: configs parse against the schema, units run real commands."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

from datacat.cli import build_parser
from datacat.config import load_file

DEPLOY = Path(__file__).parents[2] / "deploy"


@pytest.mark.parametrize("name", ["datacat.toml", "datacat-tier.toml"])
def test_example_configs_use_only_known_keys(name):
    sections = load_file(DEPLOY / name)
    assert {"broker", "ingest", "web", "daemon"} <= set(sections)


@pytest.mark.parametrize("unit", sorted(p.name for p in (DEPLOY / "systemd").glob("*.service")))
def test_systemd_units_start_existing_commands(unit):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(DEPLOY / "systemd" / unit)
    command = parser["Service"]["ExecStart"].split()
    assert command[0].endswith("/datacat")
    build_parser().parse_args(command[1:])  # exits (fails the test) on an unknown command
    assert parser["Service"]["KillSignal"] == "SIGTERM"


def test_the_tier_example_uses_curve_on_every_link_and_one_shared_store():
    from datacat.curve import is_loopback

    tier = load_file(DEPLOY / "datacat-tier.toml")
    broker, ingest, web, daemon = (tier[name] for name in ("broker", "ingest", "web", "daemon"))
    assert not is_loopback(broker["frontend"]) and broker["secret_key"] and broker["allowed_keys"]
    assert not is_loopback(broker["backend"]) and broker["backend_secret_key"]
    assert broker["backend_allowed_keys"]
    assert ingest["broker_public_key"] and ingest["secret_key"]
    assert daemon["broker_public_key"] and daemon["secret_key"]
    assert len(ingest["backend"].split(",")) == len(daemon["broker"].split(",")) == 2
    assert ingest["store"] == web["store"] and ingest["store"].startswith("redis://")
    assert web["tokens_file"]
