"""The ``network`` fixture: a private network of namespaces, removed after the test."""

from __future__ import annotations

import pytest

from .netns import NetnsUnavailable, Network


@pytest.fixture
def network(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    try:
        net = Network(logs)
    except NetnsUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield net
    finally:
        net.close()
