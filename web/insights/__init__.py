"""Grafana time series and annotations, read from the store's counts, incidents and rollups."""
