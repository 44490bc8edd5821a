"""Questions the bot could not answer, for a limited time (content gaps): shown to editors without any user
reference; the pseudonym stored with each lets /forget erase a person's questions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from rahnama_core.text import fold
from storage.db import Database
from storage.models import FallbackMessage, utcnow

KEEP_DAYS = 30
MAX_TEXT = 300


def record_unanswered(
    database: Database, language: str, text: str, pseudonym: str | None = None, keep_days: int = KEEP_DAYS
) -> None:
    with database.session() as session:
        session.add(FallbackMessage(pseudonym=pseudonym, language=language, text=text[:MAX_TEXT]))
        session.execute(delete(FallbackMessage).where(FallbackMessage.created_at < utcnow() - dt.timedelta(days=keep_days)))
        session.commit()


def _trigrams(text: str) -> set[str]:
    folded = " " + " ".join(fold(text).split()) + " "
    return {folded[i : i + 3] for i in range(len(folded) - 2)}


@dataclass
class Group:
    example: str
    grams: set[str]
    texts: list[str] = field(default_factory=list)


def frequent_unanswered(database: Database, similarity: float = 0.5, days: int = KEEP_DAYS) -> dict[str, list[Group]]:
    """Per language, unanswered questions grouped by similar wording, most frequent first."""
    since = utcnow() - dt.timedelta(days=days)
    with database.session() as session:
        rows = session.execute(
            select(FallbackMessage.language, FallbackMessage.text).where(FallbackMessage.created_at >= since)
        ).all()
    groups: dict[str, list[Group]] = defaultdict(list)
    for language, text in rows:
        grams = _trigrams(text)
        for group in groups[language]:
            overlap = len(grams & group.grams) / max(1, len(grams | group.grams))
            if overlap >= similarity:
                group.texts.append(text)
                break
        else:
            groups[language].append(Group(example=text, grams=grams, texts=[text]))
    return {language: sorted(found, key=lambda g: -len(g.texts)) for language, found in groups.items()}
