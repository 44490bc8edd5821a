"""Storage on a real database: migrations, the inbox, and the unanswered-questions log."""

from __future__ import annotations

from pathlib import Path

from bot.inbox import Inbox
from storage.db import Database
from storage.gaps import frequent_unanswered, record_unanswered


def test_migrations_create_a_working_schema(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    inbox = Inbox(database)
    assert inbox.next_offset() == 0
    assert inbox.receive(10, "tg-a", {"update_id": 10}) is True
    assert inbox.receive(10, "tg-a", {"update_id": 10}) is True  # still pending: handle it again
    inbox.done(10)
    assert inbox.receive(10, "tg-a", {"update_id": 10}) is False  # answered: a redelivery is ignored
    assert inbox.next_offset() == 11


def test_an_update_waiting_for_rasa_is_retried_and_the_user_told_once(tmp_path: Path) -> None:
    inbox = Inbox(Database(f"sqlite:///{tmp_path / 'db.sqlite'}"))
    inbox.receive(5, "tg-b", {"update_id": 5})
    assert [u for u, _ in inbox.due()] == [5]
    assert inbox.retry_later(5) is True
    assert inbox.due() == []  # not due before its delay
    assert inbox.retry_later(5) is False  # "one moment" is said only once


def test_unanswered_questions_are_grouped_by_wording_without_user_reference(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    for text in ["how to get bosnian citizenship", "How to get Bosnian citizenship?", "how get bosnian citizenship",
                 "price of bus to mostar"]:
        record_unanswered(database, "en", text)
    record_unanswered(database, "fr", "prix du bus pour mostar")
    groups = frequent_unanswered(database)
    assert [len(g.texts) for g in groups["en"]] == [3, 1]
    assert len(groups["fr"]) == 1
    from storage.models import FallbackMessage

    assert {c.name for c in FallbackMessage.__table__.columns} == {"id", "language", "text", "created_at"}
