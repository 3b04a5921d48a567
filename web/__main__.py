"""``python -m datacat.web [--store URL] [--host H] [--port P]``: the same as ``datacat web``.

Settings resolve like every other process's (flags > ``DATACAT_*`` > ``datacat.toml``).
"""

from __future__ import annotations

import sys

from datacat.cli import main

if __name__ == "__main__":
    sys.exit(main(["web", *sys.argv[1:]]))
