"""Rasa NLU component, last in the pipeline: an emergency phrase in any of our languages overrides the
classifier (and the fallback), so a person in danger gets the emergency card at once."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from rahnama_core.triage import Triage


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EmergencyTriage(GraphComponent):
    """Lexicon-based emergency detection in six languages, ahead of the normal NLU."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def __init__(self) -> None:
        self._triage = Triage()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmergencyTriage":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            match = self._triage.match(text)
            if match is None:
                continue
            intent = {"name": f"emergency_{match.category}", "confidence": 1.0}
            ranking = [intent] + [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") != intent["name"]]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            message.set("triage", {"category": match.category, "source": "lexicon"}, add_to_output=True)
        return messages
