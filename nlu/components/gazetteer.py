"""Rasa NLU entity extractor: a spaCy EntityRuler gazetteer of countries and places in Bosnia and Herzegovina.

Country names come from CLDR (shipped with Babel) in all six languages, so "افغانستان", "Afghanistan" and
"أفغانستان" all give `country` = AF, plus Latin-letter spellings (nlu/gazetteer/countries.yml: "lmaghrib"); BiH places (reception centres, towns) come from nlu/gazetteer/places.yml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Text

import spacy
import yaml
from babel import Locale
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from rahnama_core.language import LANGUAGES
from rahnama_core.text import clean_input, fold

PLACES_FILE = Path(__file__).resolve().parent.parent / "gazetteer" / "places.yml"
COUNTRIES_FILE = PLACES_FILE.with_name("countries.yml")  # Latin-letter spellings CLDR does not have
ARABIC_PREFIXES = ("ل", "ب", "و", "ال")  # "to", "in", "and", "the" written joined to the name


def country_names() -> dict[str, set[str]]:
    """ISO code -> the country's names in our six languages (CLDR via Babel)."""
    names: dict[str, set[str]] = {}
    for language in LANGUAGES:
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha() and code not in ("EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"):
                names.setdefault(code, set()).add(name)
    extra = yaml.safe_load(COUNTRIES_FILE.read_text(encoding="utf-8")) or {}
    for code, spellings in extra.items():
        names.setdefault(str(code), set()).update(str(s) for s in spellings)
    return names


def variants(name: str) -> set[str]:
    forms = {name.lower(), fold(name)}
    if any("\u0600" <= ch <= "\u06ff" for ch in name):
        forms |= {prefix + form for form in list(forms) for prefix in ARABIC_PREFIXES}
    return {form for form in forms if form}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class Gazetteer(GraphComponent, EntityExtractorMixin):
    """Finds `country` (ISO code) and `place` (canonical BiH place name) entities."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def __init__(self) -> None:
        self._nlp = spacy.blank("xx")
        ruler = self._nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
        patterns: list[dict[str, str]] = []
        for code, names in country_names().items():
            for name in names:
                patterns += [{"label": "country", "pattern": form, "id": code} for form in variants(name)]
        places = yaml.safe_load(PLACES_FILE.read_text(encoding="utf-8")) or {}
        for canonical, spellings in places.items():
            for spelling in [canonical, *spellings]:
                patterns += [{"label": "place", "pattern": form, "id": canonical} for form in variants(str(spelling))]
        ruler.add_patterns(patterns)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "Gazetteer":
        return cls()

    def extract(self, text: str) -> list[dict[str, Any]]:
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for candidate in (clean_input(text), fold(clean_input(text))):
            for span in self._nlp(candidate).ents:
                key = (span.label_, span.ent_id_)
                found.setdefault(key, {
                    "entity": span.label_, "value": span.ent_id_, "start": span.start_char, "end": span.end_char,
                    "confidence_entity": 1.0, "extractor": "Gazetteer",
                })
        return list(found.values())

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text:
                entities = self.extract(text)
                if entities:
                    message.set(ENTITIES, (message.get(ENTITIES) or []) + entities, add_to_output=True)
        return messages
