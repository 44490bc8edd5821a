"""Erasure (/forget) and retention: what is deleted, from where."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import create_engine, delete, event, inspect, select, text

from storage.db import Database
from storage.models import InboxUpdate, SentMessage, User, utcnow

DELETABLE_FOR = dt.timedelta(hours=48)  # how long Telegram lets a bot delete its messages


def secure_sqlite(engine) -> None:  # type: ignore[no-untyped-def]
    """Deleted rows are overwritten on disk, so nothing is left in the file of a searched machine."""
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _secure(connection, _record) -> None:  # type: ignore[no-untyped-def]
            connection.execute("PRAGMA secure_delete=ON")


def recent_bot_messages(database: Database, pseudonym: str) -> list[tuple[int, int]]:
    """(chat_id, message_id) of the bot's messages to this person that Telegram still lets it delete."""
    with database.session() as session:
        rows = session.execute(
            select(SentMessage.chat_id, SentMessage.message_id)
            .where(SentMessage.pseudonym == pseudonym, SentMessage.sent_at >= utcnow() - DELETABLE_FOR)
        ).all()
        return [(int(chat), int(message)) for chat, message in rows]


def forget_person(database: Database, pseudonym: str, tracker_db: Path | None) -> None:
    """Delete everything about one person: their conversation in Rasa's tracker store, preferences,
    pending updates and the record of the bot's messages."""
    with database.session() as session:
        session.execute(delete(SentMessage).where(SentMessage.pseudonym == pseudonym))
        session.execute(delete(InboxUpdate).where(InboxUpdate.chat_key == pseudonym))
        session.execute(delete(User).where(User.pseudonym == pseudonym))
        session.commit()
    if database.engine.dialect.name == "sqlite":  # old page images in the write-ahead log go too
        with database.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    if tracker_db is not None and tracker_db.is_file():
        engine = create_engine(f"sqlite:///{tracker_db}")
        secure_sqlite(engine)
        with engine.begin() as connection:
            if inspect(connection).has_table("events"):
                connection.execute(text("DELETE FROM events WHERE sender_id = :sender"), {"sender": pseudonym})
        with engine.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        engine.dispose()


def purge_old(database: Database, tracker_db: Path | None, inactive_days: int) -> int:
    """Delete conversations inactive for `inactive_days`, and message ids too old to delete on phones."""
    cutoff = utcnow() - dt.timedelta(days=inactive_days)
    with database.session() as session:
        stale = list(session.scalars(select(User.pseudonym).where(User.last_seen_at < cutoff)))
        session.execute(delete(SentMessage).where(SentMessage.sent_at < utcnow() - DELETABLE_FOR))
        session.commit()
    for pseudonym in stale:
        forget_person(database, pseudonym, tracker_db)
    return len(stale)
