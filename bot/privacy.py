"""Pseudonyms: Rasa, the database and the logs know a person by a keyed hash of their Telegram id."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path


def load_key(configured: str, var_dir: Path) -> bytes:
    """The pseudonym key: RAHNAMA_PSEUDONYM_KEY, else a random key created once in var/ (readable by us only)."""
    if configured:
        return configured.encode()
    path = var_dir / "pseudonym.key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


class Pseudonyms:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def of(self, telegram_id: int) -> str:
        return "tg-" + hmac.new(self._key, str(telegram_id).encode(), hashlib.sha256).hexdigest()[:40]
