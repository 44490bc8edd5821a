"""Emergency triage ahead of the intent classifier: phrases in all six languages, native script and Latin
letters (nlu/triage/<lang>.yml), that mark a message as an emergency whatever the classifier thinks.

A phrase matches when its words appear consecutively in the message after `fold`ing; a word ending in `*`
matches any word that starts with it. The lexicons of all languages are searched, so a wrongly detected
language never hides an emergency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from rahnama_core import REPO_ROOT
from rahnama_core.text import clean_input, fold

TRIAGE_DIR = REPO_ROOT / "nlu" / "triage"
CATEGORIES = ("self_harm", "child_alone", "trafficking", "violence", "medical")  # most specific first
CONTEXT_DIR = REPO_ROOT / "nlu" / "context"
CONTEXT_CATEGORIES = ("past", "hypothetical", "over")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def tokens(text: str) -> list[str]:
    folded = fold(clean_input(text, limit=20_000).replace("\u200c", ""))
    return _WORD.findall(folded)


def phrase_words(raw: str) -> tuple[str, ...]:
    """A lexicon phrase as folded words; a trailing `*` on a word makes its last token a prefix."""
    words: list[str] = []
    for part in raw.split():
        part_tokens = tokens(part.rstrip("*"))
        if part.endswith("*") and part_tokens:
            part_tokens[-1] += "*"
        words += part_tokens
    return tuple(words)


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    category: str
    language: str

    def matches_at(self, message: list[str], start: int) -> bool:
        if start + len(self.words) > len(message):
            return False
        for offset, word in enumerate(self.words):
            token = message[start + offset]
            if word.endswith("*"):
                if not token.startswith(word[:-1]):
                    return False
            elif token != word:
                return False
        return True


@dataclass(frozen=True)
class TriageMatch:
    category: str
    language: str
    phrase: str


class PhraseLexicon:
    """Phrases by category from nlu/<folder>/<lang>.yml, all languages searched for every message."""

    def __init__(self, root: Path, categories: tuple[str, ...]) -> None:
        self._by_first: dict[str, list[Phrase]] = {}
        self._wildcard_first: list[Phrase] = []
        for path in sorted(root.glob("*.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for category, phrases in data.items():
                if category not in categories:
                    raise ValueError(f"{path}: unknown category {category!r}; use one of {', '.join(categories)}")
                for raw in phrases or []:
                    words = phrase_words(str(raw))
                    if not words:
                        continue
                    phrase = Phrase(words, category, path.stem)
                    if words[0].endswith("*"):
                        self._wildcard_first.append(phrase)
                    else:
                        self._by_first.setdefault(words[0], []).append(phrase)

    def find(self, text: str) -> list[Phrase]:
        """Every phrase that occurs in the message."""
        message = tokens(text)
        found: list[Phrase] = []
        for start, token in enumerate(message):
            for phrase in self._by_first.get(token, ()):
                if phrase.matches_at(message, start):
                    found.append(phrase)
            for phrase in self._wildcard_first:
                if token.startswith(phrase.words[0][:-1]) and phrase.matches_at(message, start):
                    found.append(phrase)
        return found


class Triage(PhraseLexicon):
    """The emergency lexicon (nlu/triage/)."""

    def __init__(self, root: Path = TRIAGE_DIR) -> None:
        super().__init__(root, CATEGORIES)

    def match(self, text: str) -> TriageMatch | None:
        """The most specific emergency the message signals, or None."""
        found = self.find(text)
        if not found:
            return None
        best = min(found, key=lambda p: CATEGORIES.index(p.category))
        return TriageMatch(best.category, best.language, " ".join(best.words))


class ContextMarkers(PhraseLexicon):
    """Words that put a danger in the past, in a hypothetical, or say it is over (nlu/context/): features for
    the intent classifier, the way the ConText algorithm qualifies a finding as historical or hypothetical."""

    def __init__(self, root: Path = CONTEXT_DIR) -> None:
        super().__init__(root, CONTEXT_CATEGORIES)

    def features(self, text: str) -> list[str]:
        """One pseudo-word per kind of context found, e.g. ["__past__"]: the same in every language."""
        return [f"__{category}__" for category in sorted({p.category for p in self.find(text)})]
