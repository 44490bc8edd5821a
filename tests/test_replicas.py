"""Several replicas: what they must share, on real servers. Rasa keeps conversations in the shared PostgreSQL
and takes a Redis lock per conversation (REDIS_URL); the gateways share a Redis lock per person and the flood
limit. Erasure reaches conversations in PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Iterator

import pytest
import yaml
from sqlalchemy import create_engine, text

from bot.coordination import FLOOD_MESSAGES, FLOOD_SECONDS, RedisCoordination
from rahnama_core.channel import RasaClient, prepare_text
from rahnama_core.services import Stack, endpoints_yaml
from rahnama_core.settings import Settings
from storage.db import Database
from storage.erasure import forget_person
from tests.postgres import TemporaryPostgres, running_postgres
from tests.redis_server import running_redis


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with running_redis() as url:
        yield url


@pytest.fixture(scope="module")
def postgres() -> Iterator[TemporaryPostgres]:
    with running_postgres() as server:
        yield server


def new_database(server: TemporaryPostgres, name: str) -> str:
    admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return server.url.rsplit("/", 1)[0] + f"/{name}"


def test_one_process_keeps_conversations_in_a_sqlite_file_and_needs_no_lock_store(tmp_path: Path) -> None:
    settings = Settings.from_env({"RAHNAMA_VAR_DIR": str(tmp_path), "DATABASE_URL": ""})
    assert settings.tracker_url == f"sqlite:///{tmp_path / 'rasa-tracker.db'}"
    endpoints = yaml.safe_load(endpoints_yaml("http://127.0.0.1:5055", settings.tracker_url, settings.redis_url))
    assert endpoints["tracker_store"] == {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "rasa-tracker.db")}
    assert "lock_store" not in endpoints
    assert endpoints["action_endpoint"] == {"url": "http://127.0.0.1:5055/webhook"}


def test_replicas_share_conversations_in_postgresql_and_locks_in_redis(tmp_path: Path) -> None:
    settings = Settings.from_env({
        "RAHNAMA_VAR_DIR": str(tmp_path), "DATABASE_URL": "postgresql+psycopg://bot:s%3Acret@db.internal:5433/rahnama",
        "REDIS_URL": "redis://:pw@cache.internal:6380/2",
    })
    assert settings.tracker_url == settings.database_url
    endpoints = yaml.safe_load(endpoints_yaml("http://127.0.0.1:5055", settings.tracker_url, settings.redis_url))
    assert endpoints["tracker_store"] == {
        "type": "SQL", "dialect": "postgresql", "url": "db.internal", "port": 5433, "db": "rahnama",
        "username": "bot", "password": "s:cret",
    }
    assert endpoints["lock_store"] == {
        "type": "redis", "url": "cache.internal", "port": 6380, "db": 2, "password": "pw", "username": None,
        "use_ssl": False, "key_prefix": "rahnama",
    }


def test_a_person_s_updates_are_answered_one_at_a_time_across_replicas(redis_url: str) -> None:
    async def scenario() -> list[str]:
        first, second = RedisCoordination(redis_url), RedisCoordination(redis_url)
        order: list[str] = []

        async def answer(replica: RedisCoordination, name: str, seconds: float) -> None:
            async with replica.person_lock("pseudonym-a"):
                order.append(f"{name} starts")
                await asyncio.sleep(seconds)
                order.append(f"{name} ends")

        slow = asyncio.create_task(answer(first, "first", 0.5))
        await asyncio.sleep(0.1)
        other_person = asyncio.create_task(_time(second, "pseudonym-b"))
        await answer(second, "second", 0.0)
        await slow
        waited = await other_person
        order.append(f"another person waited {waited:.1f}s")
        await first.close()
        await second.close()
        return order

    assert asyncio.run(scenario()) == ["first starts", "first ends", "second starts", "second ends",
                                       "another person waited 0.0s"]


async def _time(replica: RedisCoordination, pseudonym: str) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with replica.person_lock(pseudonym):
        return loop.time() - started


def test_the_flood_limit_counts_a_person_s_messages_on_every_replica(redis_url: str) -> None:
    async def scenario() -> tuple[list[str], str, list[bytes], int]:
        replicas = [RedisCoordination(redis_url), RedisCoordination(redis_url)]
        verdicts = [await replicas[i % 2].flood_check("pseudonym-flood") for i in range(FLOOD_MESSAGES + 2)]
        someone_else = await replicas[0].flood_check("pseudonym-calm")
        keys = sorted(await replicas[0].redis.keys("rahnama:flood*"))
        ttl = max([await replicas[0].redis.ttl(key) for key in keys])
        for replica in replicas:
            await replica.close()
        return verdicts, someone_else, keys, ttl

    verdicts, someone_else, keys, ttl = asyncio.run(scenario())
    assert verdicts == ["ok"] * FLOOD_MESSAGES + ["warn", "drop"]  # one polite "slow down", then silence
    assert someone_else == "ok"
    assert keys == [b"rahnama:flood-warned:pseudonym-flood", b"rahnama:flood:pseudonym-calm",
                    b"rahnama:flood:pseudonym-flood"]  # pseudonyms only, never a Telegram id
    assert 0 < ttl <= FLOOD_SECONDS + 1  # nothing stays


def test_rasa_keeps_conversations_in_postgresql_locks_in_redis_and_forget_erases_them(
    model: Path, postgres: TemporaryPostgres, redis_url: str, tmp_path: Path,
) -> None:
    import redis

    database_url = new_database(postgres, "replicas")
    settings = Settings.from_env({"RAHNAMA_VAR_DIR": str(tmp_path), "DATABASE_URL": database_url,
                                  "REDIS_URL": redis_url})
    commands_before = _lock_store_commands(redis.Redis.from_url(redis_url))

    async def talk(rasa_url: str) -> list[str]:
        client = RasaClient(rasa_url)
        try:
            first = await client.send("pseudonym-kept", prepare_text("how do i apply for asylum"))
            await client.send("pseudonym-forgotten", prepare_text("salam"))
            second = await client.send("pseudonym-kept", prepare_text("and with IOM can i go home?"))
        finally:
            await client.close()
        return [first.meta.get("topic"), second.meta.get("topic")]

    with Stack(settings=settings, model=model, persistent=True).running() as stack:
        topics = asyncio.run(talk(stack.rasa_url))
    assert topics == ["asylum.apply", "return.avrr"]
    assert _lock_store_commands(redis.Redis.from_url(redis_url)) > commands_before  # Rasa took its locks in Redis

    engine = create_engine(database_url)
    with engine.connect() as connection:
        senders = dict(connection.execute(text("SELECT sender_id, count(*) FROM events GROUP BY sender_id")).all())
    assert senders["pseudonym-kept"] > 0 and senders["pseudonym-forgotten"] > 0

    forget_person(Database(database_url, run_migrations=False), "pseudonym-forgotten", settings.tracker_url)
    with engine.connect() as connection:
        senders = dict(connection.execute(text("SELECT sender_id, count(*) FROM events GROUP BY sender_id")).all())
    engine.dispose()
    assert "pseudonym-forgotten" not in senders and senders["pseudonym-kept"] > 0


def _lock_store_commands(client: "object") -> int:
    """How many SET commands the Redis server has run (Rasa's lock store stores each lock with SET)."""
    stats = client.info("commandstats")  # type: ignore[attr-defined]
    client.close()  # type: ignore[attr-defined]
    return int(stats.get("cmdstat_set", {}).get("calls", 0))
