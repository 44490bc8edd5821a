"""Storage on real databases, SQLite and PostgreSQL (a throwaway server started here): migrations, the inbox,
the unanswered-questions log, cases and erasure."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import text

from bot.inbox import Inbox
from storage.db import Database
from storage.gaps import frequent_unanswered, record_unanswered
from tests.postgres import TemporaryPostgres, running_postgres


@pytest.fixture(scope="module")
def postgres() -> Iterator[TemporaryPostgres]:
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if request.param == "sqlite":
        return Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    server: TemporaryPostgres = request.getfixturevalue("postgres")
    name = f"t{os.getpid()}_{abs(hash(request.node.name)) % 10**8}"
    admin = Database(server.url, run_migrations=False)
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.engine.dispose()
    return Database(server.url.rsplit("/", 1)[0] + f"/{name}")


def test_migrations_create_a_working_schema(database: Database) -> None:
    inbox = Inbox(database)
    assert inbox.next_offset() == 0
    assert inbox.receive(10, "tg-a", {"update_id": 10}) is True
    assert inbox.receive(10, "tg-a", {"update_id": 10}) is True  # still pending: handle it again
    inbox.done(10)
    assert inbox.receive(10, "tg-a", {"update_id": 10}) is False  # answered: a redelivery is ignored
    assert inbox.next_offset() == 11


def test_an_update_that_keeps_failing_is_given_up_not_retried_forever(database: Database) -> None:
    inbox = Inbox(database)
    inbox.receive(9, "tg-c", {"update_id": 9})
    for _ in range(5):
        inbox.failed(9)
    assert inbox.due() == [] and inbox.receive(9, "tg-c", {"update_id": 9}) is False


def test_an_update_being_handled_is_not_handled_twice_and_is_due_again_after_a_restart(database: Database) -> None:
    inbox = Inbox(database)
    inbox.receive(6, "tg-d", {"update_id": 6})
    assert inbox.due() == []  # being answered: the retry loop must not send a second answer
    inbox.release_all()  # a new process: nothing is in flight any more
    assert [u for u, _ in inbox.due()] == [6]
    assert inbox.due() == []  # leased to whoever took it


def test_an_update_waiting_for_rasa_is_retried_and_the_user_told_once(database: Database) -> None:
    inbox = Inbox(database)
    inbox.receive(5, "tg-b", {"update_id": 5})
    inbox.release_all()
    assert [u for u, _ in inbox.due()] == [5]
    assert inbox.retry_later(5) is True
    assert inbox.due() == []  # not due before its delay
    assert inbox.retry_later(5) is False  # "one moment" is said only once


def test_unanswered_questions_are_grouped_by_wording_and_erased_with_the_person(database: Database) -> None:
    from storage.erasure import forget_person

    for question in ["how to get bosnian citizenship", "How to get Bosnian citizenship?", "how get bosnian citizenship",
                     "price of bus to mostar"]:
        record_unanswered(database, "en", question, pseudonym="tg-asker")
    record_unanswered(database, "fr", "prix du bus pour mostar", pseudonym="tg-other")
    groups = frequent_unanswered(database)
    assert [len(g.texts) for g in groups["en"]] == [3, 1]
    assert len(groups["fr"]) == 1
    forget_person(database, "tg-asker", None)
    assert "en" not in frequent_unanswered(database) and len(frequent_unanswered(database)["fr"]) == 1


def test_cases_and_erasure(database: Database) -> None:
    from bot.handover import Handover
    from rahnama_core.content import ContentStore
    from storage.erasure import forget_person
    from storage.models import Case, CaseEvent, Counsellor, User

    handover = Handover(database, ContentStore(), None)
    with database.session() as session:
        session.add(Counsellor(telegram_user_id=501, alias="Amina", languages="fa,ps", team="legal", supervisor=False,
                               active=True))
        session.add(User(pseudonym="tg-x", chat_id=77, language="ps"))
        session.commit()
    assert handover.counsellor(501).alias == "Amina" and handover.counsellor(502) is None
    with database.session() as session:
        session.add(Case(user_pseudonym="tg-x", user_chat_id=77, language="ps", topic="human.request", family="human",
                         priority="urgent", team="protection", status="waiting"))
        session.commit()
    case = handover.open_case_of("tg-x")
    assert case is not None and case.priority == "urgent"
    handover._assign(case, handover.counsellor(501))
    with database.session() as session:
        assert session.get(Case, case.id).status == "assigned"
        assert [e.action for e in session.query(CaseEvent).filter_by(case_id=case.id)] == ["taken"]
    forget_person(database, "tg-x", None)
    with database.session() as session:
        assert session.get(User, "tg-x") is None
        assert session.get(Case, case.id) is None and session.query(CaseEvent).filter_by(case_id=case.id).count() == 0


def test_retention_keeps_open_cases_and_drops_old_transcripts(database: Database) -> None:
    import datetime as dt

    from storage.erasure import purge_old
    from storage.models import Case, CaseMessage, User, utcnow

    long_ago = utcnow() - dt.timedelta(days=400)
    with database.session() as session:
        session.add_all([User(pseudonym="tg-old", chat_id=1, last_seen_at=long_ago),
                         User(pseudonym="tg-waiting", chat_id=2, last_seen_at=long_ago),
                         User(pseudonym="tg-new", chat_id=3)])
        session.add(Case(user_pseudonym="tg-waiting", user_chat_id=2, language="fa", priority="normal", team="legal",
                         status="waiting"))
        closed = Case(user_pseudonym="tg-new", user_chat_id=3, language="fa", priority="normal", team="legal",
                      status="closed", closed_at=long_ago)
        session.add(closed)
        session.commit()
        session.add(CaseMessage(case_id=closed.id, direction="user", kind="text", text="old words"))
        session.commit()
    assert purge_old(database, None, inactive_days=30, case_days=90) == 1
    with database.session() as session:
        assert {u.pseudonym for u in session.query(User)} == {"tg-waiting", "tg-new"}
        assert session.query(CaseMessage).count() == 0 and session.query(Case).count() == 2
