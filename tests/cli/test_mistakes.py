"""Every CLI mistake: one line naming what is wrong, exit status 2, no traceback, nothing started."""

from __future__ import annotations

import pytest

from tests.cli.support import datacat, isolated_env

MISTAKES = [
    (["up", "--port", "99999"], {}, "port = 99999 is not a port"),
    (["up", "--broker-port", "65535"], {}, "backend_port = 65536"),
    (["up", "--workers", "0"], {}, "workers = 0 must be at least 1"),
    (["up", "--workers", "two"], {}, "workers = 'two' is not an integer"),
    (["up", "--data-dir", "/proc/nope"], {}, "/proc is not writable"),
    (["web", "--store", "diskcache://relative/path"], {}, "diskcache:///abs/path"),
    (["web", "--store", "diskcache:///proc/nope"], {}, "/proc is not writable"),
    (["web", "--store", "bogus://x"], {}, "is not a store URL"),
    (["web", "--store", "memory://", "--port", "-1"], {}, "port = -1 is not a port"),
    (["ingest", "--store", "memory://", "--backend", "tcp://localhost"], {}, "names no port"),
    (["broker", "--frontend", "udp://x:1"], {}, "is not an endpoint"),
    (["daemon", "run"], {"DATACAT_FLUSH_INTERVAL": "-1"}, "flush_interval = -1.0 must be"),
    (["daemon", "run"], {"DATACAT_BROKER": "tcp://h:99999"}, "not 0-65535"),
    (["demo", "--sessions", "0"], {}, "--sessions"),
    (["keys", "../evil"], {}, "is not a plain name"),
    (["status", "--timeout", "nan"], {}, "--timeout"),
    (["up", "--no-such-flag"], {}, "unrecognized arguments"),
]


@pytest.mark.parametrize("args,env,named", MISTAKES, ids=[" ".join(m[0]) for m in MISTAKES])
def test_a_mistake_is_one_line_and_exit_status_2(tmp_path, args, env, named):
    result = datacat(*args, env=isolated_env(tmp_path, **env))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], result.stderr
    assert lines[0].startswith("datacat")
    assert not (tmp_path / "run").exists()  # nothing was started
