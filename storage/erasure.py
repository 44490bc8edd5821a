"""Erasure (/forget) and retention: what is deleted, from where."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, delete, event, inspect, make_url, select, text

from storage.db import Database
from storage.models import Case, CaseEvent, CaseMessage, FallbackMessage, InboxUpdate, SentMessage, User, utcnow

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


def forget_person(database: Database, pseudonym: str, tracker_url: str | None) -> None:
    """Delete everything about one person: their conversation in Rasa's tracker store, their cases with
    their messages and events, preferences, pending updates, their unanswered questions and the record of
    the bot's messages."""
    with database.session() as session:
        case_ids = list(session.scalars(select(Case.id).where(Case.user_pseudonym == pseudonym)))
        if case_ids:
            session.execute(delete(CaseMessage).where(CaseMessage.case_id.in_(case_ids)))
            session.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(case_ids)))
            session.execute(delete(Case).where(Case.id.in_(case_ids)))
        session.execute(delete(SentMessage).where(SentMessage.pseudonym == pseudonym))
        session.execute(delete(FallbackMessage).where(FallbackMessage.pseudonym == pseudonym))
        session.execute(delete(InboxUpdate).where(InboxUpdate.chat_key == pseudonym))
        session.execute(delete(User).where(User.pseudonym == pseudonym))
        session.commit()
    if database.engine.dialect.name == "sqlite":  # old page images in the write-ahead log go too
        with database.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    if tracker_url is not None:
        forget_conversation(tracker_url, pseudonym)


def forget_conversation(tracker_url: str, pseudonym: str) -> None:
    """Delete the person's conversation from Rasa's tracker store (a SQLite file or the shared PostgreSQL)."""
    url = make_url(tracker_url)
    if url.get_backend_name() == "sqlite" and not Path(str(url.database)).is_file():
        return  # no conversation was ever stored
    engine = tracker_engine(tracker_url)
    with engine.begin() as connection:
        if inspect(connection).has_table("events"):
            connection.execute(text("DELETE FROM events WHERE sender_id = :sender"), {"sender": pseudonym})
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


@lru_cache(maxsize=4)
def tracker_engine(tracker_url: str) -> Engine:
    """One engine per tracker store for the process (the daily purge forgets many people in a row)."""
    engine = create_engine(tracker_url)
    secure_sqlite(engine)
    return engine


def purge_old(database: Database, tracker_url: str | None, inactive_days: int, case_days: int = 90) -> int:
    """Delete conversations inactive for `inactive_days`, transcripts of cases closed more than `case_days`
    ago (the case itself stays, without its messages, for the statistics), and message ids too old to delete
    on phones."""
    cutoff = utcnow() - dt.timedelta(days=inactive_days)
    with database.session() as session:
        old_cases = select(Case.id).where(Case.status == "closed", Case.closed_at < utcnow() - dt.timedelta(days=case_days))
        session.execute(delete(CaseMessage).where(CaseMessage.case_id.in_(old_cases)))
        stale = list(session.scalars(select(User.pseudonym).where(User.last_seen_at < cutoff)))
        session.execute(delete(SentMessage).where(SentMessage.sent_at < utcnow() - DELETABLE_FOR))
        session.commit()
    forgotten = [p for p in stale if not _has_open_case(database, p)]  # a waiting case keeps its person
    for pseudonym in forgotten:
        forget_person(database, pseudonym, tracker_url)
    return len(forgotten)


def _has_open_case(database: Database, pseudonym: str) -> bool:
    with database.session() as session:
        return session.scalar(
            select(Case.id).where(Case.user_pseudonym == pseudonym, Case.status != "closed").limit(1)) is not None
