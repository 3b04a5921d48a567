"""The fault-injection tier: every part its own process."""

from __future__ import annotations

import os

import pytest

from tests.tier import Tier


@pytest.fixture
def tier(tmp_path):
    env = {**os.environ, "DATACAT_RUNTIME_DIR": str(tmp_path / "run"),
           "DATACAT_FLUSH_INTERVAL": "0.2", "DATACAT_SPOOL_SYNC": "0"}
    tier = Tier(tmp_path, env)
    env["DATACAT_BROKER"] = tier.frontend
    for name in ("web", "broker", "ingest", "daemon"):
        tier.start(name)
    yield tier
    tier.stop_all()
