"""Counsellors take over, end to end through `./rahnama run` and the fake Bot API: a person asks for a human,
the case gets a forum topic with a card, messages are relayed both ways under the counsellor's alias, a
stranger and a second counsellor reach nobody, a restart loses nothing, and after /close the bot answers again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from rahnama_core import REPO_ROOT
from rahnama_core.content import ContentStore
from rahnama_core.fake_bot_api import FakeBotAPI
from tests.test_telegram_e2e import RunningBot, settled

GROUP = -1001234567890
AMINA, BORIS, STRANGER, USER = 501, 502, 999, 6001
CONTENT = ContentStore()


class CaseBot(RunningBot):
    def env(self) -> dict[str, str]:
        return {**os.environ, "TELEGRAM_BOT_TOKEN": self.fake.token, "TELEGRAM_API_BASE_URL": self.fake.base_url,
                "RAHNAMA_VAR_DIR": str(self.var_dir), "DATABASE_URL": f"sqlite:///{self.var_dir / 'rahnama.db'}",
                "COUNSELLOR_CHAT_ID": str(GROUP), "COUNSELLOR_HOURS": "0-24", "PYTHONPATH": str(REPO_ROOT)}


@pytest.fixture(scope="module")
def world(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseBot]:
    with FakeBotAPI() as fake:
        fake.register_group(GROUP, "Counsellors", is_forum=True)
        running = CaseBot(fake, tmp_path_factory.mktemp("cases"))
        for telegram_id, alias, languages in ((AMINA, "Amina", "en,fa"), (BORIS, "Boris", "ar")):
            subprocess.run([sys.executable, "-m", "rahnama_core", "counsellor", "add", str(telegram_id), "--name", alias,
                            "--languages", languages], env=running.env(), cwd=REPO_ROOT, check=True,
                           capture_output=True)
        running.start()
        try:
            yield running
        finally:
            running.stop()


def group_messages(fake: FakeBotAPI) -> list[dict]:
    return fake.sent(chat_id=GROUP)


def test_a_case_from_request_to_close(world: CaseBot) -> None:
    fake = world.fake
    fake.user_sends(USER, "I want to talk to a real person please")
    fake.wait_for(lambda m: m["method"] == "sendMessage" and "Case #" in (m.get("plain_text") or ""), chat_id=GROUP,
                  timeout=30)
    [topic] = fake.forum_topics(GROUP)
    thread = topic["message_thread_id"]
    card = next(m for m in group_messages(fake) if "Case #" in (m.get("plain_text") or ""))
    assert card["message_thread_id"] == thread and "Amina" in card["plain_text"]  # speaks the language
    told = settled(world, USER)
    assert any(CONTENT.ui("en", "handover_waiting") == m["plain_text"] for m in told)

    answered_before = len(fake.sent(chat_id=USER, method="sendMessage"))
    fake.user_sends(USER, "my asylum case was rejected yesterday")
    fake.wait_for(lambda m: m["method"] == "copyMessage", chat_id=GROUP, timeout=20)
    time.sleep(1)
    assert len(fake.sent(chat_id=USER, method="sendMessage")) == answered_before, "the bot no longer answers itself"

    fake.user_sends(STRANGER, "hi, who is this person?", chat_id=GROUP, chat_type="supergroup", message_thread_id=thread)
    fake.user_sends(AMINA, "Salam, I am here to help you.", chat_id=GROUP, chat_type="supergroup",
                    message_thread_id=thread)
    [relayed] = fake.wait_for(answered_before + 1, chat_id=USER, method="sendMessage", timeout=20)[answered_before:]
    assert relayed["plain_text"] == CONTENT.ui("en", "handover_reply_prefix", alias="Amina") + "\nSalam, I am here to help you."
    fake.user_sends(BORIS, "I will take this one", chat_id=GROUP, chat_type="supergroup", message_thread_id=thread)
    fake.wait_for(lambda m: "handled by another counsellor" in (m.get("plain_text") or ""), chat_id=GROUP, timeout=20)
    fake.user_sends(AMINA, "/note person seems very worried, check the appeal date", chat_id=GROUP,
                    chat_type="supergroup", message_thread_id=thread)
    time.sleep(2)
    texts = [m["plain_text"] for m in fake.sent(chat_id=USER, method="sendMessage")]
    assert not any("who is this person" in t or "take this one" in t or "worried" in t for t in texts)

    world.restart()  # in the middle of the case
    fake.user_sends(USER, "thank you, what should I do now?")
    fake.wait_for(2, chat_id=GROUP, method="copyMessage", timeout=60)

    before = len(fake.sent(chat_id=USER, method="sendMessage"))
    fake.user_sends(AMINA, "/answer asylum.decision_appeal", chat_id=GROUP, chat_type="supergroup",
                    message_thread_id=thread)
    fake.wait_for(before + 1, chat_id=USER, method="sendMessage", timeout=20)
    assert CONTENT.answer("en", "asylum.decision_appeal").title.split()[0].lower() in settled(world, USER)[-1]["plain_text"].lower() \
        or "appeal" in settled(world, USER)[-1]["plain_text"].lower()

    before = len(fake.sent(chat_id=USER, method="sendMessage"))
    fake.user_sends(AMINA, "/close", chat_id=GROUP, chat_type="supergroup", message_thread_id=thread)
    closing = fake.wait_for(before + 2, chat_id=USER, method="sendMessage", timeout=20)[before:]
    assert closing[0]["plain_text"] == CONTENT.ui("en", "case_closed")
    assert closing[1]["reply_markup"]["inline_keyboard"], "a one-tap 'did this help?'"

    before = len(fake.sent(chat_id=USER, method="sendMessage"))
    fake.user_sends(USER, "how do I get a work permit?")
    answer = fake.wait_for(before + 1, chat_id=USER, method="sendMessage", timeout=20)[before]
    assert "work" in answer["plain_text"].lower(), "after the case the bot answers again"

    status = subprocess.run([sys.executable, "-m", "rahnama_core", "stats"], env=world.env(), cwd=REPO_ROOT,
                            capture_output=True, text=True, check=True).stdout
    assert "legal" in status or "en" in status


def test_a_counsellor_takes_a_case_with_the_card_button(world: CaseBot) -> None:
    fake = world.fake
    fake.user_sends(USER + 1, "بدي احكي مع شخص حقيقي", language_code="ar")
    card = fake.wait_for(lambda m: m["method"] == "sendMessage" and "(ar)" in (m.get("plain_text") or ""),
                         chat_id=GROUP, timeout=30)[-1]
    assert "Boris" in card["plain_text"]  # speaks Arabic: mentioned
    case_id = card["plain_text"].split("#", 1)[1].split()[0]
    fake.user_presses(BORIS, card, f'/case_take{{"case":"{case_id}"}}')
    fake.wait_for(lambda m: f"Case #{case_id} taken by Boris" in (m.get("plain_text") or ""), chat_id=GROUP, timeout=20)
    cases = subprocess.run([sys.executable, "-m", "rahnama_core", "cases"], env=world.env(), cwd=REPO_ROOT,
                           capture_output=True, text=True, check=True).stdout
    assert any(line.split()[0] == case_id and "assigned" in line for line in cases.splitlines()[1:])


def test_outside_working_hours_the_person_hears_when_counsellors_are_back(tmp_path: Path) -> None:
    import datetime as dt

    from bot.handover import SARAJEVO, Handover
    from storage.db import Database

    handover = Handover(Database(f"sqlite:///{tmp_path / 'db.sqlite'}"), CONTENT, None)
    saturday_night = dt.datetime(2026, 11, 28, 22, 0, tzinfo=SARAJEVO)
    note = handover.working_hours_note("en", (9, 17), saturday_night)
    assert note == CONTENT.ui("en", "handover_offhours", when="Monday 09:00")
    assert handover.working_hours_note("en", (9, 17), dt.datetime(2026, 11, 25, 11, 0, tzinfo=SARAJEVO)) == \
        CONTENT.ui("en", "handover_waiting")
