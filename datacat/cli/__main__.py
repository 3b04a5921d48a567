"""``python -m datacat.cli``: the ``datacat`` command."""

import sys

from . import main

sys.exit(main())
