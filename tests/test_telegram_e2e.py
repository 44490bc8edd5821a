"""End to end: `./rahnama run` with a bot token, talking to our strict fake Bot API, as people in six
languages would: questions, buttons, stickers, voice notes, 5000 characters, other bots' commands, groups,
and a restart of the whole stack in the middle of a conversation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from rahnama_core import REPO_ROOT
from rahnama_core.content import ContentStore
from rahnama_core.fake_bot_api import FakeBotAPI
from rahnama_core.language import LanguageDetector

CONTENT = ContentStore()


class RunningBot:
    def __init__(self, fake: FakeBotAPI, var_dir: Path) -> None:
        self.fake = fake
        self.var_dir = var_dir
        self.process: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        return {**os.environ, "TELEGRAM_BOT_TOKEN": self.fake.token, "TELEGRAM_API_BASE_URL": self.fake.base_url,
                "RAHNAMA_VAR_DIR": str(self.var_dir), "DATABASE_URL": f"sqlite:///{self.var_dir / 'rahnama.db'}",
                "PYTHONPATH": str(REPO_ROOT)}

    def start(self) -> None:
        env = self.env()
        log = (self.var_dir / "run.log").open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "rahnama_core", "run"], cwd=REPO_ROOT, env=env,
                                        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"./rahnama run exited: {(self.var_dir / 'run.log').read_text()[-2000:]}")
            if self.fake.requests.get("getUpdates", 0) > self._polls_before:
                return
            time.sleep(0.2)
        raise TimeoutError("the bot did not start polling")

    @property
    def _polls_before(self) -> int:
        return getattr(self, "_baseline", 0)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)

    def restart(self) -> None:
        self.stop()
        self._baseline = self.fake.requests.get("getUpdates", 0)
        self.start()


@pytest.fixture(scope="module")
def bot(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    with FakeBotAPI() as fake:
        running = RunningBot(fake, tmp_path_factory.mktemp("telegram"))
        running.start()
        try:
            yield running
        finally:
            running.stop()


def texts(messages: list[dict]) -> str:
    return " ".join(m.get("plain_text") or m.get("text") or "" for m in messages)


def ask(bot: RunningBot, user: int, text: str, kind: str = "text", language_code: str = "en", count: int = 1,
        timeout: float = 30) -> list[dict]:
    before = len(bot.fake.sent(chat_id=user, method="sendMessage"))
    bot.fake.user_sends(user, text, kind=kind, language_code=language_code)
    bot.fake.wait_for(before + count, chat_id=user, method="sendMessage", timeout=timeout)
    return settled(bot, user)[before:]


def settled(bot: RunningBot, chat_id: int, quiet: float = 0.6) -> list[dict]:
    """What the bot sent to a chat, once it has sent nothing more for `quiet` seconds."""
    seen = -1
    while True:
        messages = bot.fake.sent(chat_id=chat_id, method="sendMessage")
        if len(messages) == seen:
            return messages
        seen = len(messages)
        time.sleep(quiet)


QUESTIONS = {
    "ar": "كيف اطلب اللجوء في البوسنة؟",
    "fa": "چطور درخواست پناهندگی بدم؟",
    "ps": "زه غواړم بېرته خپل کور ته لاړ شم",
    "ur": "مجھے واپس پاکستان جانا ہے",
    "fr": "comment demander l'asile en Bosnie ?",
    "en": "I want to go back home, can IOM help me?",
}


@pytest.mark.parametrize("language", sorted(QUESTIONS))
def test_a_question_is_answered_in_the_users_language(bot: RunningBot, detector: LanguageDetector, language: str) -> None:
    user = 1000 + sorted(QUESTIONS).index(language)
    replies = ask(bot, user, QUESTIONS[language], language_code="en")
    assert detector.detect(texts(replies)).language == language
    assert all(r["parse_mode"] == "HTML" for r in replies)
    buttons = [b for r in replies for row in (r.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
    assert any(b["callback_data"] == "/human_request" for b in buttons)


def test_commands_are_registered_in_every_language(bot: RunningBot) -> None:
    for language in ("ar", "fa", "ps", "ur", "fr", "en"):
        commands = {c["command"]: c["description"] for c in bot.fake.commands(language_code=language)}
        assert set(commands) >= {"start", "topics", "language", "human", "help"}
        assert commands["human"] == CONTENT.ui(language, "command.human")


def test_start_deep_link_picks_language_and_topic(bot: RunningBot, detector: LanguageDetector) -> None:
    replies = ask(bot, 2001, "/start ps-return.avrr", language_code="en")
    assert detector.detect(texts(replies)).language == "ps"
    assert "IOM" in texts(replies)


def test_start_shows_the_topics_and_every_language_in_its_own_name(bot: RunningBot) -> None:
    replies = ask(bot, 2003, "/start", language_code="ps")
    titles = [b["text"] for r in replies for row in (r.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
    assert {"العربية", "فارسی / دری", "پښتو", "اردو", "Français", "English"} <= set(titles)
    assert CONTENT.ui("ps", "family.asylum") in titles


def test_an_edited_message_is_answered_again(bot: RunningBot, detector: LanguageDetector) -> None:
    user = 2004
    first = ask(bot, user, "kamp kahan hai")
    before = len(bot.fake.sent(chat_id=user, method="sendMessage"))
    sent_by_user = [m for m in bot.fake.messages(user) if m.get("from", {}).get("id") == user]
    bot.fake.user_edits(user, sent_by_user[-1]["message_id"], "مجھے واپس پاکستان جانا ہے")
    bot.fake.wait_for(before + 1, chat_id=user, method="sendMessage", timeout=30)
    edited_answer = settled(bot, user)[before:]
    assert first
    assert detector.detect(texts(edited_answer)).language == "ur"


def test_telegram_errors_are_retried(bot: RunningBot) -> None:
    bot.fake.fail_next("sendMessage", status=502, times=1)
    replies = ask(bot, 2005, "how do I apply for asylum here?")
    assert replies and "asylum" in texts(replies).lower()
    bot.fake.fail_next("sendMessage", status=429, retry_after=1, times=1)
    replies = ask(bot, 2006, "I want to go back home")
    assert replies and "IOM" in texts(replies)


def test_buttons_lead_to_answers(bot: RunningBot) -> None:
    user = 2002
    replies = ask(bot, user, "/start", language_code="fr")
    menu = next(r for r in replies if r.get("reply_markup"))
    before = len(bot.fake.sent(chat_id=user, method="sendMessage"))
    bot.fake.user_presses(user, menu, '/show_family{"family":"return"}')
    topics = bot.fake.wait_for(before + 1, chat_id=user, method="sendMessage")[-1]
    bot.fake.user_presses(user, topics, "/return_avrr")
    answer = bot.fake.wait_for(before + 2, chat_id=user, method="sendMessage")[-1]
    assert "OIM" in answer["plain_text"] or "IOM" in answer["plain_text"]
    assert bot.fake.callback_answers(), "every button press is acknowledged"


@pytest.mark.parametrize("kind", ["sticker", "voice", "photo", "location", "document"])
def test_media_get_a_polite_reply_in_the_conversation_language(bot: RunningBot, kind: str) -> None:
    user = 3000 + ["sticker", "voice", "photo", "location", "document"].index(kind)
    ask(bot, user, "مجھے واپس پاکستان جانا ہے")
    [reply] = ask(bot, user, None, kind=kind)
    assert reply["plain_text"] == CONTENT.ui("ur", "unsupported_media")


def test_a_5000_character_message_is_answered(bot: RunningBot) -> None:
    replies = ask(bot, 3100, "je veux rentrer chez moi " * 200, language_code="fr")
    assert CONTENT.ui("fr", "too_long") in texts(replies)
    assert all(len(r["plain_text"]) <= 4096 for r in replies)


def test_markup_and_control_characters_are_not_echoed(bot: RunningBot) -> None:
    replies = ask(bot, 3101, "<b>hi</b>\u202e<script>alert(1)</script>\x00")
    assert replies and all("<script" not in (r.get("text") or "") for r in replies)


def test_another_bots_command_gets_a_polite_reply(bot: RunningBot) -> None:
    [reply] = ask(bot, 3102, "/weather@some_other_bot", language_code="ar")
    assert reply["plain_text"] == CONTENT.ui("ar", "other_bot_command")
    [reply] = ask(bot, 3102, "/start@some_other_bot", language_code="ar")
    assert reply["plain_text"] == CONTENT.ui("ar", "other_bot_command")


def test_group_chats_get_a_pointer_to_the_private_chat_only_when_addressed(bot: RunningBot) -> None:
    bot.fake.user_sends(3103, "hello everyone", chat_id=-500, chat_type="group")
    bot.fake.user_sends(3103, f"@{bot.fake.bot_username} help", chat_id=-500, chat_type="group")
    [reply] = bot.fake.wait_for(1, chat_id=-500, method="sendMessage", timeout=20)
    assert reply["plain_text"] == CONTENT.ui("en", "group_chat")
    time.sleep(1)
    assert len(bot.fake.sent(chat_id=-500, method="sendMessage")) == 1


def test_no_message_is_lost_or_answered_twice_across_a_restart(bot: RunningBot, detector: LanguageDetector) -> None:
    user = 4000
    ask(bot, user, "زه غواړم بېرته خپل کور ته لاړ شم")
    bot.stop()
    bot.fake.user_sends(user, "زه په بیهاچ کې یم، کمپ چېرته دی؟")  # written while the bot is down
    answered_before = len(bot.fake.sent(chat_id=user, method="sendMessage"))
    bot.restart()
    replies = bot.fake.wait_for(answered_before + 1, chat_id=user, method="sendMessage", timeout=60)[answered_before:]
    time.sleep(3)
    after = bot.fake.sent(chat_id=user, method="sendMessage")[answered_before:]
    assert detector.detect(texts(replies)).language == "ps"
    assert len(after) == len(replies), "the message was answered exactly once"


def test_forget_erases_everything_and_nothing_identifying_is_logged(bot: RunningBot) -> None:
    user, secret = 987654321, "my secret question about Lipa"
    ask(bot, user, secret)
    ask(bot, user, "/forget")
    confirm = bot.fake.sent(chat_id=user, method="sendMessage")[-1]
    before = len(bot.fake.sent(chat_id=user, method="sendMessage"))
    bot.fake.user_presses(user, confirm, "/forget_confirm")
    [done] = bot.fake.wait_for(before + 1, chat_id=user, method="sendMessage", timeout=20)[before:]
    assert done["plain_text"] == CONTENT.ui("en", "forget_done")
    deleted = {d["message_id"] for d in bot.fake.deleted(user)}
    assert confirm["message_id"] in deleted, "the bot's recent messages are deleted from the phone"
    time.sleep(1)
    for path in bot.var_dir.rglob("*"):
        if path.is_file() and path.suffix not in (".key", ".tar.gz"):
            data = path.read_bytes()
            assert secret.encode() not in data, f"the message text is still in {path.name}"
            assert str(user).encode() not in data, f"the Telegram id is still in {path.name}"


def test_webhook_mode_answers_and_refuses_requests_without_the_secret(model: Path, tmp_path: Path) -> None:
    import httpx

    from rahnama_core.services import free_port

    port = free_port()
    with FakeBotAPI() as fake:
        url = f"http://127.0.0.1:{port}/telegram-hook"
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
               "TELEGRAM_WEBHOOK_URL": url, "TELEGRAM_WEBHOOK_SECRET": "s3cret-token",
               "TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{port}", "RAHNAMA_VAR_DIR": str(tmp_path),
               "DATABASE_URL": f"sqlite:///{tmp_path / 'rahnama.db'}",
               "PYTHONPATH": str(REPO_ROOT)}
        process = subprocess.Popen([sys.executable, "-m", "rahnama_core", "run"], cwd=REPO_ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 240
            while not (fake.webhook or {}).get("url"):
                assert process.poll() is None and time.monotonic() < deadline, "the webhook was not set"
                time.sleep(0.3)
            assert fake.webhook["secret_token"] == "s3cret-token"
            refused = httpx.post(url, json={"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "hi",
                                 "chat": {"id": 5, "type": "private"}, "from": {"id": 5, "is_bot": False,
                                 "first_name": "x"}}})
            assert refused.status_code == 403
            fake.user_sends(5150, "I want to go back home", language_code="en")
            [reply] = fake.wait_for(1, chat_id=5150, method="sendMessage", timeout=30)[:1]
            assert "IOM" in reply["plain_text"]
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)
