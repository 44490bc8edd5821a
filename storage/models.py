"""The tables. Every change to them comes with an Alembic migration in storage/migrations/versions/."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Integer, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored time with its zone: SQLite gives back naive datetimes, and ours are stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


class User(Base):
    """A person talking to the bot, by pseudonym. `chat_id` is needed to send replies and nothing else."""

    __tablename__ = "users"

    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())


class InboxUpdate(Base):
    """A Telegram update received and not yet fully answered: nothing is lost or answered twice across restarts.

    The update's JSON is kept only until it is answered, then cleared.
    """

    __tablename__ = "inbox_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_key: Mapped[str] = mapped_column(String(64), index=True)  # pseudonym of the chat, for ordering
    payload: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending, done
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    notified: Mapped[int] = mapped_column(Integer, default=0)  # 1 once the user was told "one moment"
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FallbackMessage(Base):
    """A question the bot could not answer, kept for a limited time so editors know which answer to write next
    (`./rahnama content gaps`, which never shows who asked). The person's pseudonym is kept only so that
    /forget erases their questions too."""

    __tablename__ = "fallback_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(8), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class SentMessage(Base):
    """A message the bot sent, kept 48 hours (as long as Telegram lets a bot delete it) for /forget."""

    __tablename__ = "sent_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class Counsellor(Base):
    """A person allowed to act on cases in the counsellors' group; replies reach users under `alias` only."""

    __tablename__ = "counsellors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    alias: Mapped[str] = mapped_column(String(64))
    languages: Mapped[str] = mapped_column(String(64), default="")  # comma-separated codes
    team: Mapped[str] = mapped_column(String(32), default="legal")
    supervisor: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)


class Case(Base):
    """A conversation handed to counsellors (the shape of RapidPro's tickets)."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    user_chat_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(8))
    topic: Mapped[str | None] = mapped_column(String(64))
    family: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(16))  # urgent, normal
    team: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)  # waiting, assigned, closed
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    thread_id: Mapped[int | None] = mapped_column(BigInteger, index=True)  # forum topic in the counsellors' group
    card_message_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    first_response_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CaseEvent(Base):
    """Append-only log of who did what on a case, and when (no message text)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseMessage(Base):
    """The case's messages, for the transcript and internal notes."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    direction: Mapped[str] = mapped_column(String(16))  # user, counsellor, note
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Board(Base):
    """The queue message in the counsellors' group that the gateway keeps up to date (one per group)."""

    __tablename__ = "boards"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)  # what it shows now, so an unchanged queue is not edited again
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
