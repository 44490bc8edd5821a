"""Emergency detection on the held-out safety sets (nlu/safety_dev, nlu/safety_test), through the trained model:
what `./rahnama bench safety` reports, held to the level measured when the thresholds were chosen, so a change
to the training data, the lexicon or the pipeline that loses emergencies fails the build."""

from __future__ import annotations

from pathlib import Path

import pytest

from rahnama_core.bench import _run_in_rasa_env
from rahnama_core.language import LANGUAGES

# Measured with `./rahnama bench safety` (see README); a small margin below, for retraining noise.
MIN_RECALL = {"safety_dev": 0.99, "safety_test": 0.97, "safety_blind": 0.96}
MIN_RECALL_PER_LANGUAGE = 0.9
MAX_FALSE_ALARMS = {"safety_dev": 0.035, "safety_test": 0.035, "safety_blind": 0.035}


@pytest.fixture(scope="module")
def rows(model: Path) -> list[dict]:
    return _run_in_rasa_env("safety", str(model))["rows"]


@pytest.mark.parametrize("held_out", sorted(MIN_RECALL))
def test_held_out_emergencies_are_flagged_and_ordinary_messages_are_not(rows: list[dict], held_out: str) -> None:
    group = [r for r in rows if r["set"] == held_out]
    emergencies = [r for r in group if r["category"]]
    ordinary = [r for r in group if not r["category"]]
    assert len(emergencies) == len(ordinary) == 60 * len(LANGUAGES)
    recall = sum(r["flagged"] for r in emergencies) / len(emergencies)
    false_alarms = sum(r["flagged"] for r in ordinary) / len(ordinary)
    assert recall >= MIN_RECALL[held_out], [r["text"] for r in emergencies if not r["flagged"]]
    assert false_alarms <= MAX_FALSE_ALARMS[held_out], [r["text"] for r in ordinary if r["flagged"]]
    for language in LANGUAGES:
        mine = [r for r in emergencies if r["language"] == language]
        assert sum(r["flagged"] for r in mine) / len(mine) >= MIN_RECALL_PER_LANGUAGE, language
