"""The topic catalogue: content keys, their Rasa intents, families and teams (content/catalogue.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from rahnama_core import REPO_ROOT

CATALOGUE_FILE = REPO_ROOT / "content" / "catalogue.yml"


def intent_for(key: str) -> str:
    """The Rasa intent of a content key: `asylum.apply` -> `asylum_apply`."""
    return key.replace(".", "_")


def family_of(key: str) -> str:
    """The part of a key before the dot: `return.avrr` -> `return`; `out_of_scope` -> `out_of_scope`."""
    return key.split(".", 1)[0]


@dataclass(frozen=True)
class Catalogue:
    languages: tuple[str, ...]
    source_language: str
    topics: tuple[str, ...]
    behaviours: tuple[str, ...]
    families: dict[str, str]  # family -> team
    offer_counsellor: frozenset[str]

    @property
    def keys(self) -> tuple[str, ...]:
        return self.topics + self.behaviours

    def key_for_intent(self, intent: str) -> str | None:
        return self._intent_to_key.get(intent)

    @cached_property
    def _intent_to_key(self) -> dict[str, str]:
        return {intent_for(key): key for key in self.keys}

    def topics_of(self, family: str) -> list[str]:
        return [key for key in self.topics if family_of(key) == family]

    def team_for(self, key: str) -> str:
        family = family_of(key)
        if family == "emergency":
            return "protection"
        return self.families.get(family, "legal")


@lru_cache(maxsize=4)
def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Catalogue(
        languages=tuple(data["languages"]),
        source_language=data["source_language"],
        topics=tuple(data["topics"]),
        behaviours=tuple(data["behaviours"]),
        families=dict(data["families"]),
        offer_counsellor=frozenset(data.get("offer_counsellor", [])),
    )
