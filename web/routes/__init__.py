"""One blueprint per resource; ``BLUEPRINTS`` is what ``create_app`` registers."""

from __future__ import annotations

from .compat_export import bp as compat_export
from .compat_sessions import bp as compat_sessions
from .docs import bp as docs
from .health import bp as health
from .metrics import bp as metrics
from .v1_insights import bp as v1_insights
from .v1_issues import bp as v1_issues
from .v1_products import bp as v1_products
from .v1_sessions import bp as v1_sessions
from .v1_stats import bp as v1_stats

__all__ = ["BLUEPRINTS"]

BLUEPRINTS = (health, compat_sessions, compat_export, v1_sessions, v1_products, v1_stats,
              v1_insights, v1_issues, metrics, docs)
