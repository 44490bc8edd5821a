"""The counsellors' queue, with the real python-telegram-bot against the fake Bot API: a pinned message lists
the open cases, urgent and unanswered first, with how long each has waited, and is edited as that changes; a
case nobody answers in time gets one reminder in its topic, naming the counsellors who speak the language."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from telegram import Bot

from bot.handover import Handover
from bot.queue import CaseQueue
from rahnama_core.content import ContentStore
from rahnama_core.fake_bot_api import FakeBotAPI
from storage.db import Database
from storage.models import Case, Counsellor

GROUP = -1001234567890
AMINA, BORIS = 501, 502


def test_the_queue_shows_who_waits_and_reminds_once_when_nobody_answers(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with database.session() as session:
        session.add_all([Counsellor(telegram_user_id=AMINA, alias="Amina", languages="en,fa"),
                         Counsellor(telegram_user_id=BORIS, alias="Boris", languages="ar")])
        session.commit()
    handover = Handover(database, ContentStore(), GROUP)
    always_open, never_open = CaseQueue(handover, hours=(0, 24)), CaseQueue(handover, hours=(0, 0))

    async def scenario(fake: FakeBotAPI) -> None:
        async with Bot(fake.token, base_url=fake.base_url) as bot:
            normal = await handover.open_case(bot, "p-normal", 7001, {"language": "ar", "topic": "asylum.apply",
                                                                      "priority": "normal"}, [])
            urgent = await handover.open_case(bot, "p-urgent", 7002, {"language": "fa",
                                                                      "topic": "emergency.violence",
                                                                      "priority": "urgent"}, [])
            start = urgent.opened_at.replace(tzinfo=dt.timezone.utc)  # stored in UTC; SQLite forgets the zone

            await always_open.refresh(bot, start + dt.timedelta(minutes=2))
            board = fake.pinned(GROUP)
            lines = fake.sent(chat_id=GROUP, method="sendMessage")[-1]["plain_text"].splitlines()
            assert lines[0].startswith("Open cases: 2")
            assert lines[1].startswith(f"🔴 #{urgent.id} · fa · emergency.violence · waiting 2 min · nobody yet")
            assert lines[2].startswith(f"⚪ #{normal.id} · ar · asylum.apply · waiting 2 min · nobody yet")

            edits = len(fake.sent(chat_id=GROUP, method="editMessageText"))
            await always_open.refresh(bot, start + dt.timedelta(minutes=2))  # nothing changed: no edit
            assert len(fake.sent(chat_id=GROUP, method="editMessageText")) == edits

            assert await always_open.remind(bot, start + dt.timedelta(minutes=4)) == []
            assert await never_open.remind(bot, start + dt.timedelta(minutes=6)) == [urgent.id]  # at any hour
            reminder = fake.sent(chat_id=GROUP, method="sendMessage")[-1]
            assert reminder["message_thread_id"] == urgent.thread_id
            assert reminder["plain_text"].startswith(f"⏰ Case #{urgent.id} (🔴 URGENT, fa) has waited 6 min")
            assert "Amina" in reminder["plain_text"] and "Boris" not in reminder["plain_text"]
            assert await always_open.remind(bot, start + dt.timedelta(minutes=9)) == []  # once
            assert await never_open.remind(bot, start + dt.timedelta(minutes=40)) == []  # normal: working hours
            assert await always_open.remind(bot, start + dt.timedelta(minutes=40)) == [normal.id]

            with database.session() as session:  # Amina takes the urgent case and answers after 3 minutes
                case = session.get(Case, urgent.id)
                case.assignee_id, case.status = 1, "assigned"
                case.first_response_at = start + dt.timedelta(minutes=3)
                session.commit()
            await always_open.refresh(bot, start + dt.timedelta(minutes=41))
            assert fake.pinned(GROUP) == board  # the same pinned message, edited
            edited = fake.sent(chat_id=GROUP, method="editMessageText")[-1]["plain_text"].splitlines()
            assert edited[1].startswith(f"⚪ #{normal.id} · ar · asylum.apply · waiting 41 min · nobody yet")
            assert edited[2].startswith(f"🔴 #{urgent.id} · fa · emergency.violence · answered after 3 min · Amina")

            with database.session() as session:
                for case in session.query(Case):
                    case.status = "closed"
                session.commit()
            await bot.delete_message(GROUP, board)  # someone removed the queue: a new one is posted and pinned
            await always_open.refresh(bot, start + dt.timedelta(minutes=42))
            assert fake.pinned(GROUP) != board
            assert fake.sent(chat_id=GROUP, method="sendMessage")[-1]["plain_text"].splitlines()[1:] == [
                "Nobody is waiting."]

    with FakeBotAPI() as fake:
        fake.register_group(GROUP, "Counsellors", is_forum=True)
        asyncio.run(scenario(fake))


def test_with_several_replicas_one_reminder_is_sent(tmp_path: Path) -> None:
    from bot.coordination import RedisCoordination
    from tests.redis_server import running_redis

    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    handover = Handover(database, ContentStore(), GROUP)

    async def scenario(fake: FakeBotAPI, redis_url: str) -> list[list[int]]:
        replicas = [RedisCoordination(redis_url), RedisCoordination(redis_url)]
        async with Bot(fake.token, base_url=fake.base_url) as bot:
            urgent = await handover.open_case(bot, "p-urgent", 7002, {"language": "fa", "priority": "urgent"}, [])
            later = urgent.opened_at.replace(tzinfo=dt.timezone.utc) + dt.timedelta(minutes=6)

            async def job(coordination: RedisCoordination) -> list[int]:
                async with coordination.job_lock("queue"):
                    return await CaseQueue(handover, hours=(0, 24)).remind(bot, later)

            results = await asyncio.gather(*(job(replica) for replica in replicas))
        for replica in replicas:
            await replica.close()
        return results

    with FakeBotAPI() as fake, running_redis() as redis_url:
        fake.register_group(GROUP, "Counsellors", is_forum=True)
        results = asyncio.run(scenario(fake, redis_url))
        assert sorted(results, key=len) == [[], [1]]
        reminders = [m for m in fake.sent(chat_id=GROUP, method="sendMessage") if m["plain_text"].startswith("⏰")]
        assert len(reminders) == 1
