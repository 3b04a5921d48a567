"""``python -m tests.web.slow_server ARGS``: the web server over a store with one slow read.

Listing sessions of the product ``slow`` burns CPU (holding the GIL as pure Python does)
for ``DATACAT_TEST_SLOW_SECONDS``; every other call goes straight to the real store.
Each slow read that starts leaves a file in ``DATACAT_TEST_SLOW_DIR``.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

import datacat.web.app as web_app
from datacat.broker.store import open_store
from datacat.cli import main


class SlowListing:
    """A store whose ``list_sessions(product="slow")`` takes its time."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def list_sessions(self, query):
        if query.product == "slow":
            Path(os.environ["DATACAT_TEST_SLOW_DIR"], uuid.uuid4().hex).touch()
            deadline = time.monotonic() + float(os.environ["DATACAT_TEST_SLOW_SECONDS"])
            while time.monotonic() < deadline:
                sum(range(1000))
        return self._store.list_sessions(query)


web_app.open_store = lambda url, **options: SlowListing(open_store(url, **options))

if __name__ == "__main__":
    sys.exit(main(["web", *sys.argv[1:]]))
