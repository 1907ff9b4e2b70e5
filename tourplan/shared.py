"""State shared by every web worker: a cache in Redis when one is configured.

Without Redis each worker process keeps its own dict (the embedded default).
With ``TOURPLAN_REDIS_URL`` a :class:`RedisCache` keeps the entries in Redis
under a *generation* number: :meth:`RedisCache.clear` (an edit of the site
data, say) bumps the generation, so every worker stops seeing the old
entries at once, and the old keys expire on their own.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis import Redis

__all__ = ["RedisCache", "redis_health"]


class RedisCache(MutableMapping[Hashable, Any]):
    """A dict-like cache of JSON values in Redis, shared by processes.

    Parameters
    ----------
    connection
        A ``redis.Redis`` client.
    name
        Key prefix of this cache (``tourplan:<name>:...``).
    ttl
        Seconds an entry lives.

    Notes
    -----
    Keys are any JSON-able value (tuples become lists); ``len`` and
    iteration cover the current generation only.
    """

    def __init__(self, connection: Redis, name: str, *, ttl: int = 24 * 3600) -> None:
        self.connection = connection
        self.prefix = f"tourplan:{name}"
        self.ttl = int(ttl)

    @property
    def generation(self) -> int:
        """The current generation (0 before the first clear)."""
        raw = self.connection.get(f"{self.prefix}:generation")
        return int(raw) if raw is not None else 0

    def _key(self, key: Hashable) -> str:
        return f"{self.prefix}:{self.generation}:{json.dumps(key, ensure_ascii=False, default=str)}"

    def __getitem__(self, key: Hashable) -> Any:
        raw = self.connection.get(self._key(key))
        if raw is None:
            raise KeyError(key)
        return json.loads(raw)

    def __setitem__(self, key: Hashable, value: Any) -> None:
        self.connection.set(self._key(key), json.dumps(value, ensure_ascii=False), ex=self.ttl)

    def __delitem__(self, key: Hashable) -> None:
        if not self.connection.delete(self._key(key)):
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return bool(self.connection.exists(self._key(key)))  # type: ignore[arg-type, unused-ignore]

    def __iter__(self) -> Iterator[Hashable]:
        head = f"{self.prefix}:{self.generation}:"
        for k in self.connection.scan_iter(match=f"{head}*"):
            yield json.loads(k.decode()[len(head) :] if isinstance(k, bytes) else str(k)[len(head) :])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def clear(self) -> None:
        """Drop every entry for every process (one INCR)."""
        self.connection.incr(f"{self.prefix}:generation")


def redis_health(connection: Redis) -> dict[str, Any]:
    """``{"ok": True, "version": ...}`` when Redis answers, else ``{"ok": False, "error": ...}``."""
    try:
        connection.ping()
        info = connection.info("server")
    except Exception as exc:  # noqa: BLE001 - any failure is the health answer
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "version": str(info.get("redis_version", ""))}
