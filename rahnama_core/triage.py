"""Emergency triage ahead of the intent classifier: phrases in all six languages, native script and Latin
letters (nlu/triage/<lang>.yml), that mark a message as an emergency whatever the classifier thinks.

A phrase matches when its words appear consecutively in the message after `fold`ing; a word ending in `*`
matches any word that starts with it, and `<minor>` matches a child's age (a number from 8 to 17). The
lexicons of all languages are searched, so a wrongly detected language never hides an emergency.

Besides single phrases, a lexicon file may define `concepts` (named lists of phrases) and `together` rules:
a message that has a phrase of every concept of a rule, anywhere and in any order, matches in the rule's
category, like a phrase. `child_alone: [[minor, alone]]` matches "I am 15, I came alone to Bihac" in any
language. Concepts of the same name are merged across the languages' files.
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
_AGE_GLUED = re.compile(r"^(1[0-7])([^\W\d_]+)$")  # "15yo", "16ans": an age glued to its unit
MINOR_AGE = "<minor>"
RESERVED_KEYS = ("concepts", "together")


def tokens(text: str) -> list[str]:
    folded = fold(clean_input(text, limit=20_000).replace("\u200c", ""))
    words: list[str] = []
    for word in _WORD.findall(folded):
        glued = _AGE_GLUED.match(word)  # Arabizi never starts a word with two digits, so "3omri" stays whole
        words += list(glued.groups()) if glued else [word]
    return words


def word_matches(word: str, token: str) -> bool:
    """One lexicon word against one message token: exact, a prefix (`word*`), or a child's age (`<minor>`)."""
    if word == MINOR_AGE:
        return token.isdigit() and 8 <= int(token) <= 17
    if word.endswith("*"):
        return token.startswith(word[:-1])
    return token == word


def phrase_words(raw: str) -> tuple[str, ...]:
    """A lexicon phrase as folded words; a trailing `*` on a word makes its last token a prefix."""
    words: list[str] = []
    for part in raw.split():
        if part == MINOR_AGE:
            words.append(MINOR_AGE)
            continue
        part_tokens = tokens(part.rstrip("*"))
        if part.endswith("*") and part_tokens:
            part_tokens[-1] += "*"
        words += part_tokens
    return tuple(words)


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    category: str  # or, for a concept phrase, the concept's name
    language: str
    concept: bool = False

    def matches_at(self, message: list[str], start: int) -> bool:
        if start + len(self.words) > len(message):
            return False
        return all(word_matches(word, message[start + offset]) for offset, word in enumerate(self.words))


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
        self.together: dict[str, list[tuple[str, ...]]] = {}  # category -> rules, each a tuple of concept names
        self._concepts: set[str] = set()
        for path in sorted(root.glob("*.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for category, phrases in data.items():
                if category in RESERVED_KEYS:
                    continue
                if category not in categories:
                    raise ValueError(f"{path}: unknown category {category!r}; use one of {', '.join(categories)}")
                self._add(phrases, category, path.stem)
            for concept, phrases in (data.get("concepts") or {}).items():
                self._add(phrases, concept, path.stem, concept=True)
                self._concepts.add(concept)
            for category, rules in (data.get("together") or {}).items():
                if category not in categories:
                    raise ValueError(f"{path}: unknown category {category!r}; use one of {', '.join(categories)}")
                for rule in rules:
                    if tuple(rule) not in self.together.setdefault(category, []):
                        self.together[category].append(tuple(rule))
        for category, rules in self.together.items():
            for rule in rules:
                unknown = [name for name in rule if name not in self._concepts]
                if unknown:
                    raise ValueError(f"{root}: the {category} rule {list(rule)} names undefined concepts {unknown}")

    def _add(self, phrases: list | None, category: str, language: str, concept: bool = False) -> None:
        for raw in phrases or []:
            words = phrase_words(str(raw))
            if not words:
                continue
            phrase = Phrase(words, category, language, concept)
            if words[0].endswith("*") or words[0] == MINOR_AGE:
                self._wildcard_first.append(phrase)
            else:
                self._by_first.setdefault(words[0], []).append(phrase)

    def find(self, text: str) -> list[Phrase]:
        """Every phrase and concept phrase that occurs in the message."""
        message = tokens(text)
        found: list[Phrase] = []
        for start, token in enumerate(message):
            for phrase in self._by_first.get(token, ()):
                if phrase.matches_at(message, start):
                    found.append(phrase)
            for phrase in self._wildcard_first:
                if word_matches(phrase.words[0], token) and phrase.matches_at(message, start):
                    found.append(phrase)
        return found


class Triage(PhraseLexicon):
    """The emergency lexicon (nlu/triage/)."""

    def __init__(self, root: Path = TRIAGE_DIR) -> None:
        super().__init__(root, CATEGORIES)

    def match(self, text: str) -> TriageMatch | None:
        """The most specific emergency the message signals, or None."""
        found = self.find(text)
        phrases = [p for p in found if not p.concept]
        if phrases:
            best = min(phrases, key=lambda p: CATEGORIES.index(p.category))
            return TriageMatch(best.category, best.language, " ".join(best.words))
        concepts = {p.category: p for p in found if p.concept}
        for category in CATEGORIES:
            for rule in self.together.get(category, ()):
                if all(name in concepts for name in rule):
                    words = " + ".join(" ".join(concepts[name].words) for name in rule)
                    return TriageMatch(category, concepts[rule[0]].language, words)
        return None


class ContextMarkers(PhraseLexicon):
    """Words that put a danger in the past, in a hypothetical, or say it is over (nlu/context/): features for
    the intent classifier, the way the ConText algorithm qualifies a finding as historical or hypothetical."""

    def __init__(self, root: Path = CONTEXT_DIR) -> None:
        super().__init__(root, CONTEXT_CATEGORIES)

    def features(self, text: str) -> list[str]:
        """One pseudo-word per kind of context found, e.g. ["__past__"]: the same in every language."""
        return [f"__{category}__" for category in sorted({p.category for p in self.find(text)})]
