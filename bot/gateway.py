"""The gateway's work for one update: ask Rasa, send the answer, remember the language; polite replies to
everything else; "one moment" (once) when Rasa is unavailable, and the answer when it is back."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from typing import Any

import httpx
from telegram import Bot, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import Forbidden

from bot.coordination import Coordination, LocalCoordination
from bot.handover import TRANSCRIPT_LINES, Handover
from bot.inbox import Inbox
from bot.telegram_io import keyboard, media_kind, with_retries
from bot.privacy import Pseudonyms
from rahnama_core.channel import Prepared, RasaClient, RasaReply, is_our_payload, prepare_media, prepare_text
from rahnama_core.content import ContentStore
from rahnama_core.language import LANGUAGES, from_telegram_code
from storage.db import Database
from storage.erasure import forget_person, recent_bot_messages
from storage.models import SentMessage, User, utcnow

log = logging.getLogger("rahnama.gateway")

SHORT_BUTTON = 16
TYPING_AFTER = 0.3  # seconds before "typing..." is shown  # buttons with titles up to this length go two to a row


FORGET_CONFIRM = "/forget_confirm"
FORGET_CANCEL = "/forget_cancel"


class RasaUnavailable(RuntimeError):
    """Rasa did not answer; the update stays in the inbox and is retried."""


def _username(bot: Bot) -> str | None:
    """The bot's @username once it is known (after getMe), so commands for other bots are recognised."""
    try:
        return bot.username
    except RuntimeError:
        return None


class Gateway:
    def __init__(self, rasa: RasaClient, database: Database, pseudonyms: Pseudonyms,
                 content: ContentStore | None = None,
                 tracker_url: str | None = None, handover: Handover | None = None,
                 counsellor_hours: tuple[int, int] = (9, 17), coordination: Coordination | None = None) -> None:
        self.rasa = rasa
        self.database = database
        self.inbox = Inbox(database)
        self.pseudonyms = pseudonyms
        self.content = content or ContentStore()
        self.coordination = coordination or LocalCoordination()  # per-person order and flood limit
        self.tracker_url = tracker_url
        self.handover = handover
        self.counsellor_hours = counsellor_hours

    # --- people -------------------------------------------------------------------------------------
    def language_of(self, pseudonym: str, telegram_code: str | None) -> str:
        with self.database.session() as session:
            user = session.get(User, pseudonym)
            if user and user.language in LANGUAGES:
                return user.language
        return from_telegram_code(telegram_code) or "en"

    def remember(self, pseudonym: str, chat_id: int, language: str | None) -> None:
        with self.database.session() as session:
            user = session.get(User, pseudonym)
            if user is None:
                user = User(pseudonym=pseudonym, chat_id=chat_id)
                session.add(user)
            user.chat_id = chat_id
            user.last_seen_at = utcnow()
            if language in LANGUAGES:
                user.language = language
            session.commit()

    # --- answering ----------------------------------------------------------------------------------
    def prepare(self, update: Update, bot_username: str | None = None) -> Prepared | None:
        if update.callback_query is not None:
            data = update.callback_query.data or ""
            return Prepared(data) if is_our_payload(data) else None
        message = update.effective_message
        if message is None:
            return None
        kind = media_kind(message)
        if kind:
            return prepare_media(kind)
        return prepare_text(message.text if message.text is not None else message.caption, bot_username)

    async def answer(self, bot: Bot, update: Update) -> None:
        """Ask Rasa about one update from a private chat and send the answer."""
        user = update.effective_user
        chat = update.effective_chat
        prepared = self.prepare(update, _username(bot))
        if user is None or chat is None or prepared is None:
            self.inbox.done(update.update_id)
            return
        pseudonym = self.pseudonyms.of(user.id)
        async with self.coordination.person_lock(pseudonym):
            if self.inbox.is_done(update.update_id):
                return
            if await self._erasure_step(bot, update, pseudonym, chat.id):
                self.inbox.done(update.update_id)
                return
            if await self._feedback_step(bot, update, pseudonym, chat.id):
                self.inbox.done(update.update_id)
                return
            case = self.handover.open_case_of(pseudonym) if self.handover else None
            if case is not None and update.callback_query is None and update.effective_message is not None:
                await self.handover.relay_from_user(bot, case, update.effective_message)  # a counsellor answers; never dropped
                self.inbox.done(update.update_id)
                return
            verdict = await self.coordination.flood_check(pseudonym)
            if verdict != "ok":
                if verdict == "warn":
                    language = self.language_of(pseudonym, user.language_code)
                    await self.send(bot, chat.id, [{"text": self.content.ui(language, "flood"), "buttons": []}], pseudonym)
                self.inbox.done(update.update_id)
                return
            typing = asyncio.create_task(self._typing_after(bot, chat.id, TYPING_AFTER))
            metadata = {"telegram_language_code": user.language_code or ""}
            try:
                reply: RasaReply = await self.rasa.send(pseudonym, prepared, metadata)
            except (httpx.HTTPError, ValueError) as error:
                typing.cancel()
                log.warning("Rasa did not answer (%s); the message waits in the inbox", type(error).__name__)
                if self.inbox.retry_later(update.update_id):
                    language = self.language_of(pseudonym, user.language_code)
                    await self.send(bot, chat.id, [{"text": self.content.ui(language, "one_moment"), "buttons": []}],
                                    pseudonym)
                raise RasaUnavailable() from error
            typing.cancel()
            await self.send(bot, chat.id, reply.replies, pseudonym)
            self.remember(pseudonym, chat.id, reply.meta.get("language"))
            if reply.meta.get("escalated") and self.handover is not None:
                await self._open_case(bot, pseudonym, chat.id, reply.meta)
            self.inbox.done(update.update_id)

    @staticmethod
    async def _typing_after(bot: Bot, chat_id: int, delay: float) -> None:
        """Show "typing..." when an answer takes longer than `delay` (a quick answer needs no indicator, and
        every Bot API call counts against the bot's 30 per second)."""
        await asyncio.sleep(delay)
        with contextlib.suppress(Exception):  # a courtesy, never a failure
            await bot.send_chat_action(chat_id, ChatAction.TYPING)

    async def send(self, bot: Bot, chat_id: int, replies: list[dict[str, Any]], pseudonym: str | None = None) -> None:
        """Send replies as Telegram HTML; remember their ids for 48 hours so /forget can delete them."""
        sent: list[int] = []
        for reply in replies:
            try:
                message = await with_retries(
                    bot.send_message, chat_id, reply["text"], parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(reply.get("buttons") or []), disable_web_page_preview=True,
                )
            except Forbidden:
                log.info("a person has blocked the bot; their message is not answered")
                break
            if message is not None:
                sent.append(message.message_id)
        if pseudonym and sent:
            with self.database.session() as session:
                session.add_all(SentMessage(pseudonym=pseudonym, chat_id=chat_id, message_id=m) for m in sent)
                session.commit()

    # --- handover -----------------------------------------------------------------------------------
    async def _open_case(self, bot: Bot, pseudonym: str, chat_id: int, meta: dict[str, Any]) -> None:
        """Hand the conversation to counsellors, with the last messages, and tell the person once."""
        try:
            transcript = await self.rasa.transcript(pseudonym, TRANSCRIPT_LINES)
        except (httpx.HTTPError, ValueError):
            transcript = []
        await self.handover.open_case(bot, pseudonym, chat_id, meta, transcript)
        note = self.handover.working_hours_note(meta.get("language") or "en", self.counsellor_hours)
        await self.send(bot, chat_id, [{"text": html.escape(note), "buttons": []}], pseudonym)

    async def _feedback_step(self, bot: Bot, update: Update, pseudonym: str, chat_id: int) -> bool:
        """The "did this help?" buttons after a case: recorded, and thanked."""
        data = update.callback_query.data if update.callback_query else ""
        if not data.startswith("/case_feedback") or self.handover is None:
            return False
        self.handover.feedback(pseudonym, "yes" if '"yes"' in data else "no")
        language = self.language_of(pseudonym, update.effective_user.language_code if update.effective_user else None)
        await self.send(bot, chat_id, [{"text": html.escape(self.content.ui(language, "feedback_thanks")), "buttons": []}])
        return True

    # --- erasure ------------------------------------------------------------------------------------
    async def _erasure_step(self, bot: Bot, update: Update, pseudonym: str, chat_id: int) -> bool:
        """/forget asks for confirmation; the confirmation deletes everything. True if this update was one."""
        message = update.effective_message
        command = (message.text or "").strip().split("@")[0].lower() if message and not update.callback_query else ""
        data = update.callback_query.data if update.callback_query else ""
        if command != "/forget" and data not in (FORGET_CONFIRM, FORGET_CANCEL):
            return False
        language = self.language_of(pseudonym, update.effective_user.language_code if update.effective_user else None)
        ui = self.content.ui
        if command == "/forget":
            buttons = [{"title": ui(language, "button.delete"), "payload": FORGET_CONFIRM},
                       {"title": ui(language, "button.cancel"), "payload": FORGET_CANCEL}]
            await self.send(bot, chat_id, [{"text": html.escape(ui(language, "forget_confirm")), "buttons": buttons}],
                            pseudonym)
        elif data == FORGET_CANCEL:
            await self.send(bot, chat_id, [{"text": html.escape(ui(language, "forget_cancelled")), "buttons": []}])
        else:
            for chat, message_id in recent_bot_messages(self.database, pseudonym):
                with contextlib.suppress(Exception):  # older than 48 hours or already gone
                    await bot.delete_message(chat, message_id)
            forget_person(self.database, pseudonym, self.tracker_url)
            log.info("a person's data was erased on their request")
            await self.send(bot, chat_id, [{"text": html.escape(ui(language, "forget_done")), "buttons": []}])
        return True

    async def group_notice(self, bot: Bot, update: Update) -> None:
        """In a group that is not the counsellors' group: when addressed, say that the bot answers only in private."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None:
            return
        language = self.language_of(self.pseudonyms.of(user.id), user.language_code)
        await with_retries(bot.send_message, message.chat_id, self.content.ui(language, "group_chat"),
                           reply_to_message_id=message.message_id)
