"""Counsellors take over: each case gets a forum topic (or, where topics are off, a card to reply to) in the
counsellors' group; the person's messages are copied there, and a registered counsellor's replies reach the
person under the counsellor's alias. Strangers in the group reach nobody and are recorded in the event log."""

from __future__ import annotations

import datetime as dt
import html
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import select
from telegram import Bot, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.telegram_io import keyboard, media_kind, with_retries
from rahnama_core.catalogue import family_of, load_catalogue
from rahnama_core.channel import payload
from rahnama_core.content import ContentStore
from rahnama_core.language import NATIVE_NAMES
from rahnama_core.render import render
from storage.db import Database
from storage.models import Case, CaseEvent, CaseMessage, Counsellor, utcnow

log = logging.getLogger("rahnama.handover")
SARAJEVO = ZoneInfo("Europe/Sarajevo")
TRANSCRIPT_LINES = 6


def mentions(counsellors: list[Counsellor]) -> str:
    """Counsellors as mentions that notify them, by alias."""
    return ", ".join(f'<a href="tg://user?id={c.telegram_user_id}">{html.escape(c.alias)}</a>' for c in counsellors)


def in_working_hours(now: dt.datetime, hours: tuple[int, int]) -> bool:
    """Monday to Friday, from the opening to the closing hour, Sarajevo time."""
    local = now.astimezone(SARAJEVO)
    opens, closes = hours
    return local.weekday() < 5 and opens <= local.hour < closes


class Handover:
    def __init__(self, database: Database, content: ContentStore, group_id: int | None) -> None:
        self.database = database
        self.content = content
        self.group_id = group_id

    # --- reading ----------------------------------------------------------------------------------
    def open_case_of(self, pseudonym: str) -> Case | None:
        with self.database.session() as session:
            return session.scalars(
                select(Case).where(Case.user_pseudonym == pseudonym, Case.status != "closed").order_by(Case.id.desc())
            ).first()

    def counsellor(self, telegram_user_id: int) -> Counsellor | None:
        with self.database.session() as session:
            return session.scalars(
                select(Counsellor).where(Counsellor.telegram_user_id == telegram_user_id, Counsellor.active)
            ).first()

    def _case_for(self, message: Message, counsellor: Counsellor | None) -> Case | None:
        """The case a group message belongs to: its forum topic, the card it replies to, or, in a group
        without topics, the only open case (of this counsellor, or at all)."""
        with self.database.session() as session:
            if message.is_topic_message and message.message_thread_id:
                return session.scalars(select(Case).where(Case.thread_id == message.message_thread_id)).first()
            if message.reply_to_message is not None:
                replied = session.scalars(
                    select(Case).where(Case.card_message_id == message.reply_to_message.message_id)
                ).first()
                if replied is not None:
                    return replied
            open_cases = list(session.scalars(select(Case).where(Case.status != "closed", Case.thread_id.is_(None))))
            if counsellor is not None:
                mine = [case for case in open_cases if case.assignee_id == counsellor.id]
                if len(mine) == 1:
                    return mine[0]
            return open_cases[0] if len(open_cases) == 1 else None

    def record_event(self, case_id: int | None, actor: str, action: str) -> None:
        with self.database.session() as session:
            session.add(CaseEvent(case_id=case_id, actor=actor, action=action))
            session.commit()

    # --- the person's side ------------------------------------------------------------------------
    async def open_case(self, bot: Bot, pseudonym: str, chat_id: int, meta: dict, transcript: list[str]) -> Case:
        """Open a case (or return the open one), with its topic and card in the counsellors' group."""
        existing = self.open_case_of(pseudonym)
        if existing is not None:
            return existing
        topic = meta.get("topic")
        family = family_of(topic) if topic else None
        case = Case(user_pseudonym=pseudonym, user_chat_id=chat_id, language=meta.get("language") or "en",
                    topic=topic, family=family, priority=meta.get("priority") or "normal",
                    team=load_catalogue().team_for(topic) if topic else "legal", status="waiting")
        with self.database.session() as session:
            session.add(case)
            session.commit()
            session.refresh(case)
        self.record_event(case.id, "system", "opened")
        if self.group_id is None:
            return case
        thread = None
        try:
            forum = await bot.create_forum_topic(
                self.group_id, f"#{case.id} · {case.language} · {case.topic or '-'} · {case.priority}"[:128]
            )
            thread = forum.message_thread_id
        except TelegramError:  # topics are off in this group: counsellors reply to the card instead
            thread = None
        card = await with_retries(
            bot.send_message, self.group_id, self._card(case, transcript), parse_mode=ParseMode.HTML,
            message_thread_id=thread, reply_markup=keyboard([
                {"title": "Take", "payload": payload("case_take", case=str(case.id))},
                {"title": "Close", "payload": payload("case_close", case=str(case.id))},
            ]),
        )
        with self.database.session() as session:
            stored = session.get(Case, case.id)
            stored.thread_id = thread
            stored.card_message_id = card.message_id if card else None
            session.commit()
            return stored

    def _card(self, case: Case, transcript: list[str]) -> str:
        opened = case.opened_at.astimezone(SARAJEVO).strftime("%H:%M") if case.opened_at else "-"
        speakers = self.speakers_of(case.language)
        lines = [
            f"<b>Case #{case.id}</b> — {'🔴 URGENT' if case.priority == 'urgent' else 'normal'}",
            f"Language: {html.escape(NATIVE_NAMES.get(case.language, case.language))} ({case.language})",
            f"Topic: {html.escape(case.topic or '-')} · team: {html.escape(case.team)}",
            f"Opened: {opened} (Sarajevo)",
        ]
        if transcript:
            lines += ["", "<b>Last messages</b>"] + [f"• {html.escape(line[:300])}" for line in transcript]
        if speakers:
            lines += ["", "Speaks the language: " + mentions(speakers)]
        lines += ["", "Reply in this topic to answer. /answer &lt;key&gt; sends a reviewed answer in the person's "
                      "language, /note adds an internal note, /close ends the case."]
        return "\n".join(lines)

    def speakers_of(self, language: str) -> list[Counsellor]:
        """Active counsellors who speak the language."""
        with self.database.session() as session:
            counsellors = list(session.scalars(select(Counsellor).where(Counsellor.active)))
        return [c for c in counsellors if language in c.languages.split(",")]

    async def relay_from_user(self, bot: Bot, case: Case, message: Message) -> None:
        """Copy the person's message, of any kind, into the case's topic (as text where copying fails)."""
        if self.group_id is not None:
            where = {"message_thread_id": case.thread_id,
                     "reply_to_message_id": None if case.thread_id else case.card_message_id}
            try:
                await with_retries(bot.copy_message, self.group_id, message.chat_id, message.message_id, **where)
            except TelegramError:
                kind = media_kind(message)
                text = html.escape(message.text or message.caption or f"[{kind}]")
                await with_retries(bot.send_message, self.group_id, f"#{case.id} 👤 {text}", **where)
        with self.database.session() as session:
            session.add(CaseMessage(case_id=case.id, direction="user", kind=media_kind(message) or "text",
                                    text=message.text))
            session.commit()

    # --- the counsellors' side ---------------------------------------------------------------------
    async def on_group_message(self, bot: Bot, update: Update) -> None:
        message = update.effective_message
        sender = update.effective_user
        if message is None or sender is None or sender.is_bot:
            return
        counsellor = self.counsellor(sender.id)
        case = self._case_for(message, counsellor)
        if counsellor is None:
            self.record_event(case.id if case else None, "stranger", "ignored")
            return
        if case is None or case.status == "closed":
            return
        text = (message.text or "").strip()
        command, _, argument = text.partition(" ")
        command = command.split("@")[0].lower()
        actor = f"counsellor:{counsellor.id}"
        if command == "/note":
            with self.database.session() as session:
                session.add(CaseMessage(case_id=case.id, direction="note", kind="text", text=argument))
                session.commit()
            self.record_event(case.id, actor, "note")
            return
        if command == "/close":
            await self.close(bot, case, counsellor)
            return
        if not self._may_act(case, counsellor):
            await self._tell_group(bot, case, f"Case #{case.id} is handled by another counsellor.")
            self.record_event(case.id, actor, "refused")
            return
        self._assign(case, counsellor)
        if command == "/take":
            return
        if command == "/answer":
            await self._send_answer(bot, case, counsellor, argument.strip())
            return
        prefix = f"<b>{html.escape(self.content.ui(case.language, 'handover_reply_prefix', alias=counsellor.alias))}</b>"
        if message.text:
            await with_retries(bot.send_message, case.user_chat_id, prefix + "\n" + html.escape(message.text),
                               parse_mode=ParseMode.HTML)
        else:
            await with_retries(bot.send_message, case.user_chat_id, prefix, parse_mode=ParseMode.HTML)
            await with_retries(bot.copy_message, case.user_chat_id, message.chat_id, message.message_id)
        self._responded(case, counsellor, "counsellor", media_kind(message) or "text", message.text)

    async def _send_answer(self, bot: Bot, case: Case, counsellor: Counsellor, key: str) -> None:
        answer = self.content.answer(case.language, key)
        if answer is None or key not in load_catalogue().keys:
            await self._tell_group(bot, case, f"No answer '{html.escape(key)}'. Keys: " +
                                   ", ".join(load_catalogue().topics))
            return
        for part in render(answer.body, answer.language):
            await with_retries(bot.send_message, case.user_chat_id, part, parse_mode=ParseMode.HTML)
        self._responded(case, counsellor, "counsellor", "answer", f"/answer {key}")

    def _may_act(self, case: Case, counsellor: Counsellor) -> bool:
        return case.assignee_id in (None, counsellor.id) or counsellor.supervisor

    def _assign(self, case: Case, counsellor: Counsellor) -> None:
        if case.assignee_id == counsellor.id:
            return
        with self.database.session() as session:
            stored = session.get(Case, case.id)
            action = "taken" if stored.assignee_id is None else "reassigned"
            stored.assignee_id = counsellor.id
            stored.status = "assigned"
            session.add(CaseEvent(case_id=case.id, actor=f"counsellor:{counsellor.id}", action=action))
            session.commit()
        case.assignee_id, case.status = counsellor.id, "assigned"

    def _responded(self, case: Case, counsellor: Counsellor, direction: str, kind: str, text: str | None) -> None:
        with self.database.session() as session:
            stored = session.get(Case, case.id)
            if stored.first_response_at is None:
                stored.first_response_at = utcnow()
            session.add(CaseMessage(case_id=case.id, direction=direction, kind=kind, text=text))
            session.add(CaseEvent(case_id=case.id, actor=f"counsellor:{counsellor.id}", action="replied"))
            session.commit()

    async def _tell_group(self, bot: Bot, case: Case, text: str) -> None:
        if self.group_id is not None:
            await with_retries(bot.send_message, self.group_id, text, parse_mode=ParseMode.HTML,
                               message_thread_id=case.thread_id)

    async def on_card_button(self, bot: Bot, update: Update, action: str, case_id: int) -> None:
        sender = update.effective_user
        counsellor = self.counsellor(sender.id) if sender else None
        with self.database.session() as session:
            case = session.get(Case, case_id)
        if counsellor is None or case is None or case.status == "closed":
            self.record_event(case_id, "stranger" if counsellor is None else "system", "ignored")
            return
        if not self._may_act(case, counsellor):
            self.record_event(case.id, f"counsellor:{counsellor.id}", "refused")
            return
        if action == "case_take":
            self._assign(case, counsellor)
            await self._tell_group(bot, case, f"Case #{case.id} taken by {html.escape(counsellor.alias)}.")
        else:
            await self.close(bot, case, counsellor)

    async def close(self, bot: Bot, case: Case, counsellor: Counsellor) -> None:
        """End the case: the person gets a closing message and "did this help?", and the bot answers again."""
        if not self._may_act(case, counsellor):
            self.record_event(case.id, f"counsellor:{counsellor.id}", "refused")
            return
        with self.database.session() as session:
            stored = session.get(Case, case.id)
            stored.status = "closed"
            stored.closed_at = utcnow()
            session.add(CaseEvent(case_id=case.id, actor=f"counsellor:{counsellor.id}", action="closed"))
            session.commit()
        ui = self.content.ui
        await with_retries(bot.send_message, case.user_chat_id, html.escape(ui(case.language, "case_closed")))
        await with_retries(
            bot.send_message, case.user_chat_id, html.escape(ui(case.language, "feedback_question")),
            reply_markup=keyboard([
                {"title": ui(case.language, "button.yes"), "payload": payload("case_feedback", value="yes")},
                {"title": ui(case.language, "button.no"), "payload": payload("case_feedback", value="no")},
            ]),
        )
        if self.group_id is not None and case.thread_id:
            try:
                await bot.close_forum_topic(self.group_id, case.thread_id)
            except TelegramError:
                pass
        await self._tell_group(bot, case, f"Case #{case.id} closed.")

    def feedback(self, pseudonym: str, value: str) -> None:
        with self.database.session() as session:
            last = session.scalars(
                select(Case).where(Case.user_pseudonym == pseudonym).order_by(Case.id.desc())
            ).first()
        self.record_event(last.id if last else None, "user", f"feedback_{value}"[:32])

    def working_hours_note(self, language: str, hours: tuple[int, int], now: dt.datetime | None = None) -> str:
        """What the person hears when a case opens: a counsellor will answer, or when counsellors are back
        (working hours Monday to Friday, `hours` in Sarajevo time)."""
        from babel.dates import format_datetime

        local = (now or dt.datetime.now(SARAJEVO)).astimezone(SARAJEVO)
        if in_working_hours(local, hours):
            return self.content.ui(language, "handover_waiting")
        for offset in range(8):
            back = (local + dt.timedelta(days=offset)).replace(hour=hours[0], minute=0, second=0, microsecond=0)
            if back > local and back.weekday() < 5:
                break
        when = format_datetime(back, "EEEE HH:mm", locale=language)
        return self.content.ui(language, "handover_offhours", when=when)
