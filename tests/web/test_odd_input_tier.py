"""Type-confused session parts through a live broker and ingest worker, then every read route."""

from __future__ import annotations

import os
import time

import zmq

from datacat.protocol import decode_ack, encode_batch, new_daemon_identity
from tests.helpers import wait_until
from tests.tier import Tier

from .conftest import unique
from .test_odd_input import PART_CONFUSED, assert_readable


def test_a_worker_stores_the_good_part_and_every_route_reads_the_batch(tmp_path):
    tier = Tier(tmp_path, {**os.environ, "DATACAT_RUNTIME_DIR": str(tmp_path / "run")})
    for name in ("broker", "ingest", "web"):
        tier.start(name)
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    try:
        dealer.connect(tier.frontend)
        good = unique("good")
        parts = {unique("odd"): part for part in PART_CONFUSED.values()}
        parts[good] = {"open": {"product": "P", "version": "1", "ts": time.time()},
                       "events": [{"ts": time.time(), "name": "fine", "labels": ["x"]}]}
        daemon_id, key = new_daemon_identity()
        dealer.send_multipart([b"", encode_batch({"v": 1, "daemon_id": daemon_id, "key": key,
                                                  "seq": 1, "sent_at": time.time(),
                                                  "sessions": parts})])
        assert dealer.poll(30_000), "the worker did not answer"
        assert decode_ack(dealer.recv_multipart()[-1])["status"] == "ok"
        wait_until(lambda: tier.count(good) == 1, 30, message="the good part stored")
        for sid in parts:
            assert_readable(tier.get, sid, stored=sid == good)
    finally:
        dealer.close()
        tier.stop_all()
