"""``Dashboard``: the bounded caches the pages share; every figure is read from the store."""

from __future__ import annotations

from collections import OrderedDict

from datacat.broker.store import Store

from .probes import Probes
from .product import CrashSignatures

__all__ = ["Dashboard"]


class Dashboard:
    """Lives in ``app.ctx.dashboard`` between server start and stop. Holds no session
    data beyond bounded caches: the web process's memory does not grow with the store."""

    def __init__(self, store: Store):
        self.store = store
        self.probes = Probes()
        self.signatures = CrashSignatures()
        self.listing_cache: OrderedDict = OrderedDict()
