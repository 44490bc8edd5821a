"""The counsellors' view of people waiting: a live queue of open cases, pinned in their group and edited as it
changes, and a reminder in a case's topic when nobody has answered it in time (urgent cases after 5 minutes, at
any hour; others after 30 minutes, in working hours)."""

from __future__ import annotations

import datetime as dt
import html
import logging

from sqlalchemy import select
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.handover import SARAJEVO, Handover, in_working_hours, mentions
from bot.telegram_io import with_retries
from storage.models import Board, Case, CaseEvent, Counsellor, as_utc, utcnow

log = logging.getLogger("rahnama.queue")

URGENT_REMINDER_AFTER = dt.timedelta(minutes=5)
NORMAL_REMINDER_AFTER = dt.timedelta(minutes=30)
CHECK_SECONDS = 30.0  # how often the queue and the reminders are checked
MAX_LINES = 40  # a Telegram message holds 4096 characters
REMINDED = "reminded"


def duration(delta: dt.timedelta) -> str:
    """`7 min`, `2 h 05 min`."""
    minutes = max(0, int(delta.total_seconds() // 60))
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


class CaseQueue:
    def __init__(self, handover: Handover, hours: tuple[int, int] = (9, 17)) -> None:
        self.handover = handover
        self.database = handover.database
        self.group_id = handover.group_id
        self.hours = hours

    def open_cases(self) -> list[Case]:
        """Open cases, the ones that need a person first: unanswered before answered, urgent before normal,
        then the longest waiting."""
        with self.database.session() as session:
            cases = list(session.scalars(select(Case).where(Case.status != "closed")))
        return sorted(cases, key=lambda c: (c.first_response_at is not None, c.priority != "urgent",
                                            as_utc(c.opened_at)))

    def _topic_link(self, case: Case) -> str:
        """`#12`, linked to the case's forum topic when the group has topics."""
        label = f"#{case.id}"
        group = str(self.group_id or "")
        if case.thread_id and group.startswith("-100"):
            return f'<a href="https://t.me/c/{group[4:]}/{case.thread_id}">{label}</a>'
        return label

    def text(self, now: dt.datetime | None = None) -> str:
        now = as_utc(now) if now else utcnow()
        cases = self.open_cases()
        with self.database.session() as session:
            aliases = {c.id: c.alias for c in session.scalars(select(Counsellor))}
        stamp = now.astimezone(SARAJEVO).strftime("%H:%M")
        lines = [f"<b>Open cases: {len(cases)}</b> (at {stamp}, Sarajevo time)"]
        for case in cases[:MAX_LINES]:
            opened = as_utc(case.opened_at)
            if case.first_response_at is None:
                state = f"<b>waiting {duration(now - opened)}</b>"
            else:
                state = f"answered after {duration(as_utc(case.first_response_at) - opened)}"
            who = html.escape(aliases.get(case.assignee_id, "?")) if case.assignee_id else "nobody yet"
            mark = "🔴" if case.priority == "urgent" else "⚪"
            lines.append(f"{mark} {self._topic_link(case)} · {case.language} · {html.escape(case.topic or '-')} · "
                         f"{state} · {who}")
        if len(cases) > MAX_LINES:
            lines.append(f"… and {len(cases) - MAX_LINES} more")
        if not cases:
            lines.append("Nobody is waiting.")
        return "\n".join(lines)

    async def refresh(self, bot: Bot, now: dt.datetime | None = None) -> None:
        """Show the queue as it is now: edit the pinned queue message, or post and pin a new one."""
        if self.group_id is None:
            return
        text = self.text(now)
        with self.database.session() as session:
            board = session.get(Board, self.group_id)
            if board is not None and board.text == text:
                return
            message_id = board.message_id if board is not None else None
        if message_id is not None:
            try:
                await bot.edit_message_text(text, self.group_id, message_id, parse_mode=ParseMode.HTML,
                                            disable_web_page_preview=True)
            except BadRequest as error:
                if "not modified" not in str(error).lower():
                    message_id = None  # deleted by someone: post a new one
        if message_id is None:
            message = await with_retries(bot.send_message, self.group_id, text, parse_mode=ParseMode.HTML,
                                         disable_web_page_preview=True)
            if message is None:
                return
            message_id = message.message_id
            try:
                await bot.pin_chat_message(self.group_id, message_id, disable_notification=True)
            except TelegramError as error:  # the bot may lack the right to pin; the queue still works
                log.warning("could not pin the queue: %s", type(error).__name__)
        with self.database.session() as session:
            board = session.get(Board, self.group_id) or Board(chat_id=self.group_id, message_id=message_id, text="")
            board.message_id, board.text, board.updated_at = message_id, text, utcnow()
            session.add(board)
            session.commit()

    async def remind(self, bot: Bot, now: dt.datetime | None = None) -> list[int]:
        """Remind the group, once per case, of cases nobody has answered in time; the ids of those reminded."""
        if self.group_id is None:
            return []
        now = as_utc(now) if now else utcnow()
        with self.database.session() as session:
            reminded = set(session.scalars(select(CaseEvent.case_id).where(CaseEvent.action == REMINDED)))
        due = []
        for case in self.open_cases():
            if case.first_response_at is not None or case.id in reminded:
                continue
            urgent = case.priority == "urgent"
            after = URGENT_REMINDER_AFTER if urgent else NORMAL_REMINDER_AFTER
            if now - as_utc(case.opened_at) >= after and (urgent or in_working_hours(now, self.hours)):
                due.append(case)
        for case in due:
            speakers = self.handover.speakers_of(case.language)
            priority = "🔴 URGENT" if case.priority == "urgent" else "normal"
            text = (f"⏰ Case #{case.id} ({priority}, {case.language}) "
                    f"has waited {duration(now - as_utc(case.opened_at))} without an answer."
                    + (f" Speaks the language: {mentions(speakers)}" if speakers else ""))
            await with_retries(bot.send_message, self.group_id, text, parse_mode=ParseMode.HTML,
                               message_thread_id=case.thread_id)
            self.handover.record_event(case.id, "system", REMINDED)
        return [case.id for case in due]
