"""Answers and interface texts from `content/<lang>/`, served live: an edited file is picked up within
seconds, and a broken edit never takes an answer offline (the last valid version keeps being served)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rahnama_core import REPO_ROOT

log = logging.getLogger(__name__)

CONTENT_DIR = REPO_ROOT / "content"
REQUIRED_FIELDS = ("title", "source", "reviewed_on", "reviewed_by", "status")
STATUSES = ("draft", "reviewed")
HASH_FIELD = "en_hash"


class ContentError(ValueError):
    """A content file that cannot be used, with the line where the problem is."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Answer:
    key: str
    language: str
    title: str
    body: str  # Markdown subset, see rahnama.render
    meta: dict[str, Any]
    path: Path
    body_line: int  # line number of the body's first line in the file

    @property
    def status(self) -> str:
        return str(self.meta.get("status", "draft"))

    @property
    def reviewed_on(self) -> dt.date | None:
        value = self.meta.get("reviewed_on")
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            return None

    @property
    def source_hash(self) -> str | None:
        value = self.meta.get(HASH_FIELD)
        return str(value) if value else None


def body_hash(body: str) -> str:
    """The hash a translation records of the English text it was made from."""
    normalised = "\n".join(line.rstrip() for line in body.strip().splitlines())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:16]


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str, int]:
    """Return (front matter, body, body's first line) of a Markdown file with YAML front matter."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ContentError(path, 1, "the file must start with a '---' line opening the front matter")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ContentError(path, 1, "the front matter is not closed: add a '---' line after it") from None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark else 2
        raise ContentError(path, line, f"the front matter is not valid YAML ({getattr(error, 'problem', error)})") from None
    if not isinstance(meta, dict):
        raise ContentError(path, 2, "the front matter must be 'field: value' lines")
    body = "\n".join(lines[end + 1 :]).strip()
    return meta, body, end + 2


def parse_answer(path: Path, language: str) -> Answer:
    text = path.read_text(encoding="utf-8")
    meta, body, body_line = split_front_matter(text, path)
    title = str(meta.get("title") or "").strip()
    if not title:
        raise ContentError(path, 2, "front matter field 'title' is missing or empty")
    if not body:
        raise ContentError(path, body_line, "the answer has no text after the front matter")
    return Answer(
        key=path.stem, language=language, title=title, body=body, meta=meta, path=path, body_line=body_line
    )


def load_ui(path: Path) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ContentError(path, 1, "ui.yml must be 'name: text' lines")
    return {str(key): str(value) for key, value in data.items()}


@dataclass
class _Entry:
    mtime_ns: int
    value: Any


@dataclass
class ContentStore:
    """All answers and interface texts, reloaded from disk when a file changes.

    `get` and `ui` never read the disk more than once per `check_interval` seconds.
    """

    root: Path = field(default_factory=lambda: Path(os.environ.get("RAHNAMA_CONTENT_DIR") or CONTENT_DIR))
    check_interval: float = 1.0
    fallback_language: str = "en"
    _answers: dict[tuple[str, str], _Entry] = field(default_factory=dict)
    _ui: dict[str, _Entry] = field(default_factory=dict)
    _checked_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, language: str, key: str) -> Answer | None:
        """The answer for `key` in `language`, else in the fallback language, else None."""
        self._refresh()
        entry = self._answers.get((language, key)) or self._answers.get((self.fallback_language, key))
        return entry.value if entry else None

    def ui(self, language: str, name: str, **values: str) -> str:
        """A short interface text in `language` (English when that language lacks it)."""
        self._refresh()
        for lang in (language, self.fallback_language):
            entry = self._ui.get(lang)
            if entry and name in entry.value:
                text: str = entry.value[name]
                return text.format(**values) if values else text
        raise KeyError(f"interface text {name!r} is missing in content/{self.fallback_language}/ui.yml")

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < self.check_interval:
            return
        with self._lock:
            if now - self._checked_at < self.check_interval:
                return
            self._scan()
            self._checked_at = time.monotonic()

    def _scan(self) -> None:
        if not self.root.is_dir():
            return
        for lang_dir in os.scandir(self.root):
            if not lang_dir.is_dir() or lang_dir.name.startswith((".", "_")):
                continue
            language = lang_dir.name
            for item in os.scandir(lang_dir.path):
                if item.name.endswith(".md"):
                    self._load((language, item.name[:-3]), item, self._answers, lambda p, l=language: parse_answer(p, l))
                elif item.name == "ui.yml":
                    self._load(language, item, self._ui, load_ui)

    @staticmethod
    def _load(slot: Any, item: os.DirEntry, table: dict, parse: Any) -> None:
        mtime = item.stat().st_mtime_ns
        current = table.get(slot)
        if current and current.mtime_ns == mtime:
            return
        try:
            table[slot] = _Entry(mtime, parse(Path(item.path)))
        except (OSError, ValueError, yaml.YAMLError) as error:
            # Keep serving the last valid version; the editor sees the problem in `content check`.
            if current:
                current.mtime_ns = mtime  # do not retry until the file changes again
            log.warning("content file %s could not be loaded, keeping the last valid version: %s", item.path, error)
