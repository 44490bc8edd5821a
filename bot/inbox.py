"""The inbox: every update is stored before it is acknowledged to Telegram and marked done once answered,
so a restart or a Rasa outage loses nothing and answers nothing twice."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import delete, select, update

from storage.db import Database
from storage.models import InboxUpdate, utcnow

RETRY_DELAYS = (2, 5, 10, 30, 60)  # seconds between attempts while Rasa is unavailable
# An update being handled is leased for this long: the retry loop leaves it alone meanwhile, so a slow answer
# is never handled (and sent) twice. After a crash, `release_all` at start-up makes it due again at once.
LEASE = dt.timedelta(seconds=120)


class Inbox:
    def __init__(self, database: Database) -> None:
        self.database = database

    def receive(self, update_id: int, chat_key: str, payload: dict) -> bool:
        """Store an update; False when it was already answered (a redelivery to ignore)."""
        with self.database.session() as session:
            row = session.get(InboxUpdate, update_id)
            if row is not None:
                return row.status != "done"
            session.add(InboxUpdate(update_id=update_id, chat_key=chat_key, payload=json.dumps(payload),
                                    status="pending", attempts=0, notified=0, next_attempt_at=utcnow() + LEASE))
            session.commit()
            return True

    def is_done(self, update_id: int) -> bool:
        with self.database.session() as session:
            row = session.get(InboxUpdate, update_id)
            return row is not None and row.status == "done"

    def done(self, update_id: int) -> None:
        with self.database.session() as session:
            session.execute(
                update(InboxUpdate).where(InboxUpdate.update_id == update_id).values(status="done", payload=None)
            )
            session.commit()

    def retry_later(self, update_id: int) -> bool:
        """Schedule another attempt; True if the user has not yet been told "one moment"."""
        with self.database.session() as session:
            row = session.get(InboxUpdate, update_id)
            if row is None:
                return False
            delay = RETRY_DELAYS[min(row.attempts, len(RETRY_DELAYS) - 1)]
            first_notice = not row.notified
            row.attempts += 1
            row.notified = 1
            row.next_attempt_at = utcnow() + dt.timedelta(seconds=delay)
            session.commit()
            return first_notice

    def failed(self, update_id: int, give_up_after: int = len(RETRY_DELAYS)) -> None:
        """An update whose handling failed unexpectedly: retried with back-off, then given up (never in a loop)."""
        with self.database.session() as session:
            row = session.get(InboxUpdate, update_id)
            if row is None or row.status == "done":
                return
            row.attempts += 1
            if row.attempts >= give_up_after:
                row.status, row.payload = "done", None
            else:
                row.next_attempt_at = utcnow() + dt.timedelta(seconds=RETRY_DELAYS[row.attempts - 1])
            session.commit()

    def due(self, limit: int = 50) -> list[tuple[int, dict]]:
        """Pending updates whose next attempt is due, oldest first; each is leased to the caller."""
        with self.database.session() as session:
            rows = session.scalars(
                select(InboxUpdate)
                .where(InboxUpdate.status == "pending", InboxUpdate.next_attempt_at <= utcnow())
                .order_by(InboxUpdate.update_id)
                .limit(limit)
            ).all()
            found = [(row.update_id, json.loads(row.payload or "{}")) for row in rows]
            for row in rows:
                row.next_attempt_at = utcnow() + LEASE
            session.commit()
            return found

    def release_all(self) -> None:
        """At start-up nothing is being handled: every pending update is due now."""
        with self.database.session() as session:
            session.execute(update(InboxUpdate).where(InboxUpdate.status == "pending").values(next_attempt_at=utcnow()))
            session.commit()

    def next_offset(self) -> int:
        with self.database.session() as session:
            newest = session.scalar(select(InboxUpdate.update_id).order_by(InboxUpdate.update_id.desc()).limit(1))
            return (newest or 0) + 1 if newest else 0

    def prune(self, older_than: dt.timedelta = dt.timedelta(days=2)) -> None:
        """Answered updates are kept (as ids only) for a while to recognise redeliveries, then dropped."""
        with self.database.session() as session:
            session.execute(
                delete(InboxUpdate).where(InboxUpdate.status == "done", InboxUpdate.received_at < utcnow() - older_than)
            )
            session.commit()
