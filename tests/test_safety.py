"""Emergency detection on the held-out safety sets (nlu/safety_*), through the trained model: what
`./rahnama bench safety` reports, held to the level measured, so a change to the training data, the lexicon or
the pipeline that loses emergencies fails the build. And the lexicon's rules on their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from rahnama_core.bench import _run_in_rasa_env
from rahnama_core.language import LANGUAGES
from rahnama_core.triage import Triage

# Measured with `./rahnama bench safety` (see README); a small margin below, for retraining noise.
MIN_RECALL = {"safety_dev": 0.99, "safety_test": 0.97, "safety_blind": 0.96, "safety_fresh": 0.965}
MIN_RECALL_PER_LANGUAGE = 0.9
MAX_FALSE_ALARMS = {"safety_dev": 0.035, "safety_test": 0.035, "safety_blind": 0.035, "safety_fresh": 0.055}
PER_LANGUAGE = {"safety_dev": 60, "safety_test": 60, "safety_blind": 60, "safety_fresh": 100}  # of each kind


@pytest.fixture(scope="module")
def rows(model: Path) -> list[dict]:
    return _run_in_rasa_env("safety", str(model))["rows"]


@pytest.mark.parametrize("held_out", sorted(MIN_RECALL))
def test_held_out_emergencies_are_flagged_and_ordinary_messages_are_not(rows: list[dict], held_out: str) -> None:
    group = [r for r in rows if r["set"] == held_out]
    emergencies = [r for r in group if r["category"]]
    ordinary = [r for r in group if not r["category"]]
    assert len(emergencies) == len(ordinary) == PER_LANGUAGE[held_out] * len(LANGUAGES)
    recall = sum(r["flagged"] for r in emergencies) / len(emergencies)
    false_alarms = sum(r["flagged"] for r in ordinary) / len(ordinary)
    assert recall >= MIN_RECALL[held_out], [r["text"] for r in emergencies if not r["flagged"]]
    assert false_alarms <= MAX_FALSE_ALARMS[held_out], [r["text"] for r in ordinary if r["flagged"]]
    for language in LANGUAGES:
        mine = [r for r in emergencies if r["language"] == language]
        assert sum(r["flagged"] for r in mine) / len(mine) >= MIN_RECALL_PER_LANGUAGE, language


@pytest.mark.parametrize("text,category", [
    ("انا عمري ١٥ سنة وصلت لحالي على بيهاتش", "child_alone"),  # digits in Arabic-Indic, the age first
    ("man 15 salam tanha amadam", "child_alone"),
    ("زه ۱۵ کلن یم یوازې راغلی یم", "child_alone"),
    ("meri umar 14 saal hai aur akela hoon", "child_alone"),
    ("j'ai 16ans je dors dehors", "child_alone"),  # an age glued to its unit
    ("I'm alone here, I am 13", "child_alone"),  # any order
    ("I am 25 and alone", None),  # an adult
    ("I came alone 15 days ago", None),  # a number that is not an age
    ("i am 16, who is my guardian?", None),  # a child, not alone
    ("3omri 15 sana w ana ma3 ahli", None),  # Arabizi digits inside words are letters, not ages
])
def test_lexicon_rule_needs_both_a_child_s_age_and_being_alone(text: str, category: str | None) -> None:
    match = Triage().match(text)
    assert (match.category if match else None) == category
