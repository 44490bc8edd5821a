"""The Rasa project itself: `rasa data validate` passes, and the domain covers the catalogue."""

from __future__ import annotations

import subprocess

import yaml

from rahnama_core import REPO_ROOT
from rahnama_core.catalogue import intent_for, load_catalogue
from rahnama_core.nlu_data import intent_examples
from rahnama_core.services import rasa_environment

RASA = REPO_ROOT / ".venv" / "rasa" / "bin" / "rasa"


def test_rasa_data_validate() -> None:
    env = rasa_environment()
    result = subprocess.run(
        [str(RASA), "data", "validate", "--domain", "domain.yml", "--data", "nlu/data", "data", "--config", "config.yml"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_every_catalogue_key_is_an_intent_with_training_data_in_every_language() -> None:
    catalogue = load_catalogue()
    domain = yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8"))
    for key in catalogue.keys:
        assert intent_for(key) in domain["intents"], key
    for language in catalogue.languages:
        counts: dict[str, int] = {}
        for _, intent in intent_examples(REPO_ROOT / "nlu" / "data" / language):
            counts[intent] = counts.get(intent, 0) + 1
        for key in catalogue.keys:
            assert counts.get(intent_for(key), 0) >= 15, (language, key)


def test_no_example_is_labelled_with_two_intents() -> None:
    seen: dict[str, str] = {}
    clashes = []
    for path in sorted((REPO_ROOT / "nlu" / "data").rglob("*.yml")):
        for text, intent in intent_examples(path):
            normalised = " ".join(text.lower().split())
            if seen.setdefault(normalised, intent) != intent:
                clashes.append((text, seen[normalised], intent))
    assert clashes == []
