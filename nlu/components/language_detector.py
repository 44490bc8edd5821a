"""Rasa NLU component: detects the message's language among our six and adds it to the parse result.

The parse result gains `"language": {"code": "ps", "confidence": 0.97, "script": "arabic", "scores": {...}}`.
The actions decide the conversation's language from it (the language sticks unless the user clearly switches).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rahnama_core.language import LanguageDetector as Detector
from rahnama_core.language import from_telegram_code

LANGUAGE = "language"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class LanguageDetector(GraphComponent):
    """fastText language identification with script evidence, restricted to ar, fa, ps, ur, fr, en."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._config = config
        self._detector = Detector()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetector":
        return cls(config)

    def _detect(self, message: Message) -> None:
        text = message.get(TEXT)
        if not text:
            return
        metadata = message.get("metadata") or {}
        hint = from_telegram_code(metadata.get("telegram_language_code")) if isinstance(metadata, dict) else None
        detection = self._detector.detect(text, hint=hint)
        message.set(LANGUAGE, detection.as_dict(), add_to_output=True)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._detect(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._detect(message)
        return training_data
