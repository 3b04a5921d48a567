"""One ``datacat up`` stack for all these tests (each run is told apart by its product)."""

from __future__ import annotations

import pytest

from tests.integration.conftest import run_stack


@pytest.fixture(scope="package")
def rig_stack(tmp_path_factory):
    yield from run_stack(tmp_path_factory.mktemp("stack"))
