"""Rasa NLU tokenizer: spaCy's rule-based tokenizer for the message's language, tokens normalised.

`spacy.blank(lang)` per language (`xx` for Pashto, which spaCy has no rules for); no model is downloaded.
Token offsets point into the original text; token text is `rahnama_core.text.fold`ed, so Arabic and Persian
letter variants, tatweel, diacritics and Persian/Arabic-Indic digits do not split the vocabulary, and the
Persian zero-width non-joiner stays inside its word.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

import spacy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from rahnama_core.text import fold

SPACY_LANGUAGE = {"ar": "ar", "fa": "fa", "ps": "xx", "ur": "ur", "fr": "fr", "en": "en"}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class RahnamaTokenizer(Tokenizer):
    """Language-aware tokenisation with Arabic-script normalisation."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": "_",
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        self._pipelines = {lang: spacy.blank(code) for lang, code in SPACY_LANGUAGE.items()}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RahnamaTokenizer":
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        language = (message.get("language") or {}).get("code", "en")
        nlp = self._pipelines.get(language, self._pipelines["en"])
        doc = nlp.make_doc(text)
        tokens = [
            Token(fold(token.text), token.idx, end=token.idx + len(token.text))
            for token in doc
            if not (token.is_space or token.is_punct) and fold(token.text)
        ]
        if not tokens:  # only punctuation or symbols: keep them so the message is not empty
            tokens = [
                Token(token.text, token.idx, end=token.idx + len(token.text)) for token in doc if not token.is_space
            ]
        return self._apply_token_pattern(tokens)
