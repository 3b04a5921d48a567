"""A small test project for the pytest plugin's tests, and running pytest on it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

__all__ = ["OUTCOMES_FILE", "write_project", "run_pytest", "start_pytest"]

OUTCOMES_FILE = "test_outcomes.py"

FILES = {
    OUTCOMES_FILE: """
        import pytest

        @pytest.fixture
        def broken():
            raise RuntimeError("fixture broke")

        @pytest.fixture
        def breaks_after():
            yield
            raise RuntimeError("teardown broke")

        def test_passes():
            assert 1 + 1 == 2

        def test_fails():
            expected = 3
            assert 1 + 1 == expected, "arithmetic is off"

        def test_skipped():
            pytest.skip("not today")

        def test_setup_error(broken):
            pass

        def test_teardown_error(breaks_after):
            pass

        @pytest.mark.xfail(reason="known bug")
        def test_xfails():
            assert False

        @pytest.mark.xfail(reason="fixed already")
        def test_xpasses():
            pass
    """,
    "test_many.py": """
        import pytest

        @pytest.mark.parametrize("n", range(8))
        def test_square(n):
            assert n * n >= 0
    """,
    "test_dies.py": """
        import os

        def test_before():
            pass

        def test_dies():
            os._exit(3)
    """,
    "test_segfaults.py": """
        import ctypes

        def test_before():
            pass

        def test_segfaults():
            ctypes.string_at(0)
    """,
    "test_stalls.py": """
        import os, time
        from pathlib import Path

        def test_stalls():
            release = Path(os.environ["RELEASE_FILE"])
            while not release.exists():
                time.sleep(0.05)
    """,
}


def write_project(root: Path) -> Path:
    """The project's files under ``root`` (its name is the default product)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, source in FILES.items():
        (root / name).write_text(textwrap.dedent(source))
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    return root


def _argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", *args]


def run_pytest(root: Path, env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run pytest in ``root`` and wait for it."""
    return subprocess.run(_argv(*args), cwd=root, env=env, capture_output=True, text=True,
                          timeout=timeout)


def start_pytest(root: Path, env: dict, *args: str) -> subprocess.Popen:
    """Start pytest in ``root`` without waiting."""
    return subprocess.Popen(_argv(*args), cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
