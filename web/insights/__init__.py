"""Figures beyond the store's rollups, from the dashboard's session index: the per-version
digest (hangs, crash reasons, first seen), Grafana time series and annotations."""

from __future__ import annotations

from .digest import Digest, VersionStats, current_digest, digest, index_of

__all__ = ["Digest", "VersionStats", "digest", "current_digest", "index_of"]
