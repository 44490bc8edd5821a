"""What the gateway's replicas share: one person's updates are answered one at a time and in order, the flood
limit counts all of a person's messages, whichever replica receives them, and a periodic job (the counsellors'
queue and reminders) runs on one replica at a time.

In one process (no REDIS_URL) memory is enough: `LocalCoordination`. With REDIS_URL every replica uses the
same Redis: `RedisCoordination`. Keys carry only the keyed pseudonym, never a Telegram id, and expire.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import AsyncContextManager, Protocol

FLOOD_MESSAGES = 12  # at most this many messages from one person...
FLOOD_SECONDS = 30.0  # ...within this many seconds; more get one polite "slow down"
LOCK_SECONDS = 120  # a replica that dies while holding a lock frees it after this (as the inbox lease)
KEY_PREFIX = "rahnama"


class Coordination(Protocol):
    def person_lock(self, pseudonym: str) -> AsyncContextManager[object]:
        """Held while one update of this person is answered."""

    def job_lock(self, name: str) -> AsyncContextManager[object]:
        """Held while one replica does a periodic job (the counsellors' queue), so no two do it at once."""

    async def flood_check(self, pseudonym: str) -> str:
        """"ok", "warn" (the first message over the limit) or "drop"."""

    async def close(self) -> None:
        """Release connections."""


@dataclass
class FloodGuard:
    """A per-person sliding window; answers "slow down" once per window."""

    recent: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    warned: dict[str, float] = field(default_factory=dict)

    def check(self, who: str) -> str:
        """"ok", "warn" (first message over the limit) or "drop"."""
        now = time.monotonic()
        window = self.recent[who]
        while window and now - window[0] > FLOOD_SECONDS:
            window.popleft()
        window.append(now)
        if len(window) <= FLOOD_MESSAGES:
            return "ok"
        if now - self.warned.get(who, 0.0) > FLOOD_SECONDS:
            self.warned[who] = now
            return "warn"
        return "drop"


class LocalCoordination:
    """One gateway process: an asyncio lock per person and an in-memory flood window."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._flood = FloodGuard()

    def person_lock(self, pseudonym: str) -> AsyncContextManager[object]:
        return self._locks[pseudonym]

    def job_lock(self, name: str) -> AsyncContextManager[object]:
        return self._locks[f"job:{name}"]

    async def flood_check(self, pseudonym: str) -> str:
        return self._flood.check(pseudonym)

    async def close(self) -> None:
        return None


class RedisCoordination:
    """Several gateway replicas: a Redis lock per person and a flood window in a Redis sorted set."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis  # only with REDIS_URL

        self.redis = redis.from_url(url)  # connects on first use, not here

    def person_lock(self, pseudonym: str) -> AsyncContextManager[object]:
        return self.redis.lock(f"{KEY_PREFIX}:person:{pseudonym}", timeout=LOCK_SECONDS, sleep=0.05)

    def job_lock(self, name: str) -> AsyncContextManager[object]:
        return self.redis.lock(f"{KEY_PREFIX}:job:{name}", timeout=LOCK_SECONDS, sleep=0.2)

    async def flood_check(self, pseudonym: str) -> str:
        key = f"{KEY_PREFIX}:flood:{pseudonym}"
        now = time.time()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, 0, now - FLOOD_SECONDS)
            pipe.zadd(key, {uuid.uuid4().hex: now})
            pipe.zcard(key)
            pipe.expire(key, int(FLOOD_SECONDS) + 1)
            _, _, count, _ = await pipe.execute()
        if count <= FLOOD_MESSAGES:
            return "ok"
        first_warning = await self.redis.set(f"{KEY_PREFIX}:flood-warned:{pseudonym}", b"1", nx=True,
                                             ex=int(FLOOD_SECONDS))
        return "warn" if first_warning else "drop"

    async def close(self) -> None:
        await self.redis.aclose()


def coordination_for(redis_url: str | None) -> Coordination:
    return RedisCoordination(redis_url) if redis_url else LocalCoordination()
