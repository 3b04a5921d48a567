"""The Plotly dashboard: pages, their view models, and the index they are served from.

``BLUEPRINTS`` are registered by ``create_app``, which also serves ``STATIC_DIR`` under
``/static`` and plotly.js from the installed ``plotly`` package (``PLOTLY_JS``).
"""

from __future__ import annotations

from pathlib import Path

import plotly

from . import api as _api  # noqa: F401 - registers its routes
from . import compare_page as _compare_page  # noqa: F401 - registers its routes
from . import issues_page as _issues_page  # noqa: F401 - registers its routes
from . import pages as _pages  # noqa: F401 - registers its routes
from . import products_index as _products_index  # noqa: F401 - registers its routes
from .blueprint import api, pages
from .render import STATIC as STATIC_DIR

__all__ = ["BLUEPRINTS", "STATIC_DIR", "PLOTLY_JS"]

BLUEPRINTS = (pages, api)
#: plotly.js as the installed plotly package ships it (never a CDN).
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
