"""Rasa NLU component, last in the pipeline: decides whether a message is an emergency.

Two signals, in all six languages:
- the phrase lexicon (`rahnama_core.triage`, nlu/triage/<lang>.yml): precise words for danger happening now;
- the intent classifier's total probability of the five emergency intents, trained on emergencies told in
  every way and on ordinary messages that use the same words about the past, a hypothetical or someone else.

A lexicon phrase flags the message unless the classifier is all but certain it is ordinary, or the message
has a context marker (nlu/context/: past, hypothetical, "it is over"), as in "police beat me last year, can I
complain?"; then, as without a phrase, the classifier's emergency probability must reach `threshold`. This
is the ConText idea from clinical text processing: a finding qualified as historical or hypothetical is
not a current one. The two thresholds were chosen on the development sets (nlu/safety_dev, nlu/dev); they
are measured on the held-out sets with `./rahnama bench safety`.

The classifier alone never flags a message none of whose words (two letters or more) it has seen in training:
"i zqorble" or "<i>unclosed" would otherwise look like "i ..." emergencies from letter n-grams alone. Such a
message still gets the safety net (the emergency numbers and a button), and the lexicon still flags.

A flagged message gets the emergency intent with the most probability (or the lexicon's category), so the
emergency card and an urgent case follow, whatever the classifier's top intent was. A message that is not
flagged never keeps an emergency intent: it gets its best ordinary intent, or the fallback.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.components.intent_classifier import CONTEXT_KEY, KNOWN_WORD_KEY
from rahnama_core.triage import Triage

EMERGENCY_PREFIX = "emergency_"
FALLBACK_INTENT = "nlu_fallback"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EmergencyTriage(GraphComponent):
    """Emergency detection from the lexicon and the classifier's emergency probability."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"threshold": 0.4, "lexicon_veto_below": 0.2, "fallback_threshold": 0.2}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.config = {**self.get_default_config(), **config}
        self._triage = Triage()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmergencyTriage":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if message.get(TEXT):
                self._triage_message(message)
        return messages

    def _triage_message(self, message: Message) -> None:
        ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") != FALLBACK_INTENT]
        emergencies = [r for r in ranking if r["name"].startswith(EMERGENCY_PREFIX)]
        score = sum(float(r["confidence"]) for r in emergencies)
        match = self._triage.match(message.get(TEXT))
        # A phrase about the past, a hypothetical or a danger that is over ("police beat me last year", "if my
        # child gets lost one day") does not flag on its own: the classifier, which sees those markers, decides.
        context = message.get(CONTEXT_KEY) or []
        if match is not None and not context and score >= self.config["lexicon_veto_below"]:
            self._flag(message, f"{EMERGENCY_PREFIX}{match.category}", 1.0, "lexicon", ranking)
        elif score >= self.config["threshold"] and message.get(KNOWN_WORD_KEY, True):
            self._flag(message, emergencies[0]["name"], score, "classifier", ranking)
        elif str((message.get(INTENT) or {}).get("name", "")).startswith(EMERGENCY_PREFIX):
            self._demote(message, ranking)
        message.set("triage", {"score": round(score, 3), "lexicon": match is not None, "context": context},
                    add_to_output=True)

    @staticmethod
    def _flag(message: Message, name: str, confidence: float, source: str, ranking: List[Dict]) -> None:
        intent = {"name": name, "confidence": min(confidence, 1.0)}
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [intent] + [r for r in ranking if r["name"] != name], add_to_output=True)
        message.set("emergency", {"category": name[len(EMERGENCY_PREFIX):], "source": source}, add_to_output=True)

    def _demote(self, message: Message, ranking: List[Dict]) -> None:
        """An emergency intent below the threshold: answer the best ordinary intent, or fall back."""
        ordinary = next((r for r in ranking if not r["name"].startswith(EMERGENCY_PREFIX)), None)
        if ordinary is None or ordinary["confidence"] < self.config["fallback_threshold"]:
            ordinary = {"name": FALLBACK_INTENT, "confidence": self.config["fallback_threshold"]}
        message.set(INTENT, ordinary, add_to_output=True)
