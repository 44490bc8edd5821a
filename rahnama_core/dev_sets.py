"""The development sets kept apart from training (nlu/dev/<lang>.yml): what the benchmarks measure on."""

from __future__ import annotations

from dataclasses import dataclass

from rahnama_core import REPO_ROOT
from rahnama_core.language import LANGUAGES, script_of
from rahnama_core.nlu_data import intent_examples

DEV_DIR = REPO_ROOT / "nlu" / "dev"


@dataclass(frozen=True)
class DevExample:
    text: str
    intent: str
    language: str
    script: str  # "arabic" or "latin"


def load_dev_examples() -> list[DevExample]:
    examples: list[DevExample] = []
    for language in LANGUAGES:
        for text, intent in intent_examples(DEV_DIR / f"{language}.yml"):
            examples.append(DevExample(text, intent, language, script_of(text)))
    return examples
