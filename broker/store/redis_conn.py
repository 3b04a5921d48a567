"""Connecting to Redis from a store URL: standalone, TLS, Sentinel or Cluster.

``redis://[:password@]host:port/db``, ``rediss://…`` (TLS),
``redis+sentinel://[:password@]host:port[,host:port…]/service[/db]``,
``redis+cluster://[:password@]host:port[,host:port…]``. A ``prefix=`` query parameter puts
every key under that prefix (default ``dc:``), so several stores can share one Redis.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlencode, urlparse

import redis
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import RedisClusterException
from redis.sentinel import Sentinel

from ..errors import StoreUnusable

__all__ = ["connect"]

_OPTIONS = {"socket_timeout": 30, "socket_connect_timeout": 10, "health_check_interval": 30}


def connect(url: str):
    """``(client, key prefix)`` for ``url``; ``StoreUnusable`` if Redis is unreachable or evicts."""
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    prefix = query.pop("prefix", ["dc:"])[-1]
    if "{" in prefix or "}" in prefix:
        raise ValueError(f"store URL {url!r}: the key prefix must not contain braces")
    rest = parsed._replace(query=urlencode(query, doseq=True))
    try:
        client = _client(parsed.scheme, rest, url)
        _refuse_eviction(client, _where(parsed))
    except (redis.RedisError, RedisClusterException) as exc:
        raise StoreUnusable(f"cannot use Redis at {_where(parsed)}: {exc}") from exc
    return client, prefix


def _where(parsed) -> str:
    return parsed.netloc.rpartition("@")[2] or "?"


def _hosts(parsed) -> list[tuple[str, int]]:
    hosts = []
    for item in parsed.netloc.rpartition("@")[2].split(","):
        host, _, port = item.rpartition(":")
        hosts.append((host or item, int(port) if port and host else 6379))
    return hosts


def _client(scheme: str, parsed, url: str):
    password = unquote(parsed.password) if parsed.password else None
    if scheme in ("redis", "rediss"):
        return redis.Redis.from_url(parsed.geturl(), **_OPTIONS)
    if scheme == "redis+cluster":
        nodes = [ClusterNode(host, port) for host, port in _hosts(parsed)]
        return RedisCluster(startup_nodes=nodes, password=password,
                            **{k: v for k, v in _OPTIONS.items() if k != "health_check_interval"})
    if scheme == "redis+sentinel":
        path = [part for part in parsed.path.split("/") if part]
        if not path:
            raise ValueError(f"store URL {url!r} names no Sentinel service (…/service[/db])")
        sentinel = Sentinel(_hosts(parsed), sentinel_kwargs={"password": password},
                            password=password, **_OPTIONS)
        return sentinel.master_for(path[0], db=int(path[1]) if len(path) > 1 else 0)
    raise ValueError(f"unknown store URL {url!r}")


def _refuse_eviction(client, where: str) -> None:
    """A Redis that may evict keys would silently drop sessions: refuse it."""
    if isinstance(client, RedisCluster):
        infos = [client.info("memory", target_nodes=node) for node in client.get_primaries()]
    else:
        infos = [client.info("memory")]
    for info in infos:
        policy = info.get("maxmemory_policy", "noeviction")
        if policy != "noeviction":
            raise StoreUnusable(
                f"Redis at {where} has maxmemory-policy {policy}, which can evict keys and lose "
                "sessions: set maxmemory-policy noeviction")
