"""The gateway's own behaviour, with the real python-telegram-bot against the fake Bot API and a stand-in
for Rasa: typing indicator, "one moment" once while Rasa is down, flood guard, keyboards; two replicas that
share Redis (REDIS_URL)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from telegram import Bot, Update

from bot.coordination import FLOOD_MESSAGES, RedisCoordination
from bot.gateway import Gateway, RasaUnavailable, keyboard
from bot.privacy import Pseudonyms
from rahnama_core.channel import Prepared, RasaReply
from rahnama_core.content import ContentStore
from rahnama_core.fake_bot_api import FakeBotAPI
from storage.db import Database
from tests.redis_server import running_redis


class StandInRasa:
    """Answers like Rasa would, slowly when asked to, or not at all."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.down = False
        self.received: list[str] = []
        self.log: list[str] = []  # "start <message>" and "end <message>", in the order they happen

    async def send(self, sender: str, prepared: Prepared, metadata: dict | None = None) -> RasaReply:
        if self.down:
            raise httpx.ConnectError("Rasa is down")
        self.log.append(f"start {prepared.message}")
        await asyncio.sleep(self.delay)
        self.log.append(f"end {prepared.message}")
        self.received.append(prepared.message)
        return RasaReply([{"text": "<b>answer</b>", "buttons": [{"title": "Asylum", "payload": '/show_family{"family":"asylum"}'}]}],
                         {"language": "ps"})


@pytest.fixture
def world(tmp_path: Path):
    with FakeBotAPI() as fake:
        rasa = StandInRasa()
        gateway = Gateway(rasa, Database(f"sqlite:///{tmp_path / 'db.sqlite'}"), Pseudonyms(b"k"), ContentStore())
        yield fake, rasa, gateway


async def deliver(fake: FakeBotAPI, gateway: Gateway, raw: dict) -> None:
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        update = Update.de_json(raw, bot)
        gateway.inbox.receive(update.update_id, "x", raw)
        try:
            await gateway.answer(bot, update)
        except RasaUnavailable:
            pass


def test_a_slow_answer_shows_typing_and_a_quick_one_does_not(world) -> None:
    fake, rasa, gateway = world
    asyncio.run(deliver(fake, gateway, fake.user_sends(7, "hello")))
    assert fake.chat_actions(7) == []
    rasa.delay = 0.6
    asyncio.run(deliver(fake, gateway, fake.user_sends(7, "hello again")))
    assert [a["action"] for a in fake.chat_actions(7)] == ["typing"]
    assert len(fake.sent(chat_id=7, method="sendMessage")) == 2


def test_while_rasa_is_down_the_user_hears_one_moment_once_and_is_answered_later(world) -> None:
    fake, rasa, gateway = world
    rasa.down = True
    update = fake.user_sends(8, "زه غواړم کور ته لاړ شم", language_code="ps")
    asyncio.run(deliver(fake, gateway, update))
    asyncio.run(deliver(fake, gateway, update))
    [notice] = fake.sent(chat_id=8, method="sendMessage")
    assert notice["plain_text"] == ContentStore().ui("ps", "one_moment")
    rasa.down = False
    asyncio.run(deliver(fake, gateway, update))
    assert rasa.received and len(fake.sent(chat_id=8, method="sendMessage")) == 2
    asyncio.run(deliver(fake, gateway, update))  # a redelivery after the answer is not answered again
    assert len(fake.sent(chat_id=8, method="sendMessage")) == 2


def test_flooding_gets_one_polite_warning(world) -> None:
    fake, rasa, gateway = world
    for index in range(FLOOD_MESSAGES + 5):
        asyncio.run(deliver(fake, gateway, fake.user_sends(9, f"message {index}")))
    texts = [m["plain_text"] for m in fake.sent(chat_id=9, method="sendMessage")]
    assert texts.count(ContentStore().ui("ps", "flood")) == 1  # in the language of the conversation
    assert len(rasa.received) == FLOOD_MESSAGES


def test_two_replicas_answer_a_person_in_order_and_share_the_flood_limit(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'db.sqlite'}"

    async def scenario(fake: FakeBotAPI, redis_url: str) -> tuple[StandInRasa, list[Gateway]]:
        rasa = StandInRasa()
        replicas = [Gateway(rasa, Database(database_url), Pseudonyms(b"k"), ContentStore(),
                            coordination=RedisCoordination(redis_url)) for _ in range(2)]
        async with Bot(fake.token, base_url=fake.base_url) as bot:
            async def on(replica: Gateway, raw: dict) -> None:
                update = Update.de_json(raw, bot)
                replica.inbox.receive(update.update_id, "x", raw)
                await replica.answer(bot, update)

            rasa.delay = 0.4  # the first message is slow on replica 0; the second reaches replica 1 meanwhile
            first = asyncio.create_task(on(replicas[0], fake.user_sends(10, "first")))
            await asyncio.sleep(0.1)
            await on(replicas[1], fake.user_sends(10, "second"))
            await first
            rasa.delay = 0.0
            for index in range(FLOOD_MESSAGES + 3):
                await on(replicas[index % 2], fake.user_sends(11, f"message {index}"))
        for replica in replicas:
            await replica.coordination.close()
        return rasa, replicas

    with FakeBotAPI() as fake, running_redis() as redis_url:
        rasa, _ = asyncio.run(scenario(fake, redis_url))
        # one at a time, in the order the person wrote them: the second waits until the first is answered
        assert rasa.log[:4] == ["start first", "end first", "start second", "end second"]
        assert [m["plain_text"] for m in fake.sent(chat_id=10, method="sendMessage")] == ["answer", "answer"]
        texts = [m["plain_text"] for m in fake.sent(chat_id=11, method="sendMessage")]
        assert texts.count(ContentStore().ui("ps", "flood")) == 1  # one warning, whichever replica sends it
        assert len(rasa.received) == 2 + FLOOD_MESSAGES


def test_keyboards_put_short_buttons_two_to_a_row_and_drop_foreign_payloads() -> None:
    markup = keyboard([
        {"title": "Asylum", "payload": '/show_family{"family":"asylum"}'},
        {"title": "Going home", "payload": '/show_family{"family":"return"}'},
        {"title": "Talk to a counsellor about my case", "payload": "/human_request"},
        {"title": "evil", "payload": '/x{"a":"b","c":"d"}'},
    ])
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [
        ["Asylum", "Going home"], ["Talk to a counsellor about my case"]]
