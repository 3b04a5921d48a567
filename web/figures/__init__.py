"""Pure Plotly figure builders: plain records in, figure dicts out (no web framework here).

Every user-supplied string that ends up in a label goes through ``common.plain`` so that
plotly.js, which reads a little HTML in labels, shows it as text.
"""

from .adoption import adoption
from .common import LEVEL_COLORS, STATUS_COLORS, empty, plain, short, utc
from .cross import metric_distribution, metric_series
from .metrics import metric_figures
from .overview import sessions_over_time, version_rates
from .products import version_comparison
from .stats import bucket_percentile, percentile, summary
from .timeline import CRASH_EVENT, session_timeline

__all__ = ["adoption", "sessions_over_time", "version_rates", "session_timeline", "metric_figures",
           "metric_distribution", "metric_series", "version_comparison", "empty", "plain", "short",
           "utc", "percentile", "summary", "bucket_percentile", "STATUS_COLORS", "LEVEL_COLORS",
           "CRASH_EVENT"]
