"""``python -m datacat.web --store URL --host 127.0.0.1 --port 8080``."""

from __future__ import annotations

import argparse
from pathlib import Path

from datacat.broker.errors import StoreError

from .server import serve
from .settings import WebSettings

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until SIGINT/SIGTERM."""
    defaults = WebSettings()
    parser = argparse.ArgumentParser(prog="python -m datacat.web", description=__doc__)
    parser.add_argument("--store", default=defaults.store_url,
                        help="store URL: memory:// or diskcache:///abs/path")
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument("--port", type=int, default=defaults.port)
    parser.add_argument("--tokens-file", type=Path, default=defaults.tokens_file,
                        help="API token file; required unless --host is loopback")
    parser.add_argument("--broker-stats", default=defaults.broker_stats,
                        help="the broker's counters endpoint (for /metrics and /api/v1/stats)")
    parser.add_argument("--read-timeout", type=float, default=defaults.read_timeout,
                        help="seconds a store read may take before the request gets 503")
    args = parser.parse_args(argv)
    try:
        serve(WebSettings(store_url=args.store, host=args.host, port=args.port,
                          tokens_file=args.tokens_file, broker_stats=args.broker_stats,
                          read_timeout=args.read_timeout))
    except (ValueError, StoreError) as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")


if __name__ == "__main__":
    main()
