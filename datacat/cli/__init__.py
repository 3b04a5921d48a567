"""The ``datacat`` command: ``up``, ``broker``, ``ingest``, ``web``, ``daemon``, ``demo``,
``status``, ``config``, ``keys``, ``tokens``, ``store copy``.

Every setting resolves through ``datacat.config`` (flags > env > ``datacat.toml`` > defaults),
which checks every value; a mistake is one line on stderr and exit status 2, never a
traceback. Server parts are imported inside their commands, so the SDK never pulls them in.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from ..config import ConfigError
from ..curve import CurveError
from .errors import Refused
from .parser import build_parser

__all__ = ["main", "build_parser", "Refused"]

LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    args = build_parser().parse_args(argv)
    if args.config:
        os.environ["DATACAT_CONFIG"] = str(Path(args.config).resolve())  # children inherit it
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130
    except (ConfigError, CurveError, ValueError) as exc:  # mistakes: the message names the key
        print(f"datacat {args.command}: {exc}", file=sys.stderr)
        return 2
    except (Refused, OSError) as exc:  # the machine's state, not the command, is in the way
        print(f"datacat {args.command}: {exc}", file=sys.stderr)
        return 1
