"""Language identification and the conversation's language."""

from __future__ import annotations

import pytest

from rahnama_core.language import (
    Detection,
    LanguageDetector,
    conversation_language,
    is_neutral,
    language_named_in,
    script_of,
)

NATIVE = {
    "ar": "أريد أن أعود إلى بلدي، كيف أسجل؟",
    "fa": "می‌خواهم در بوسنی پناهنده شوم، چه کار کنم؟",
    "ps": "زه غواړم خپل هېواد ته بېرته لاړ شم",
    "ur": "مجھے واپس اپنے ملک جانا ہے، کیا کروں؟",
    "fr": "je veux demander l'asile ici, comment faire ?",
    "en": "how can I ask for asylum in Bosnia?",
}
LATIN = {
    "ar": "bghit nrje3 l bladi",
    "fa": "mikham panahande sham",
    "ps": "za ghwaram kor ta bertha lar sham",
    "ur": "mujhe wapas jana hai",
}


@pytest.mark.parametrize("language,text", sorted(NATIVE.items()))
def test_native_script_is_detected(detector: LanguageDetector, language: str, text: str) -> None:
    assert detector.detect(text).language == language


@pytest.mark.parametrize("language,text", sorted(LATIN.items()))
def test_latin_letters_are_detected(detector: LanguageDetector, language: str, text: str) -> None:
    detection = detector.detect(text)
    assert detection.language == language
    assert detection.script == "latin"


def test_pashto_letters_are_not_read_as_farsi(detector: LanguageDetector) -> None:
    assert detector.detect("ماته مرسته پکار ده").language == "ps"


def test_no_letters_means_no_evidence(detector: LanguageDetector) -> None:
    detection = detector.detect("😀 123")
    assert detection.script == "none"
    assert detection.confidence == 0.0


def test_telegram_language_code_is_a_weak_prior(detector: LanguageDetector) -> None:
    # A clear message is not overridden by the phone's language...
    assert detector.detect(NATIVE["ur"], hint="fa").language == "ur"


@pytest.mark.parametrize("text", ["ok", "merci", "salam", "Thanks!", "12", "👍", "ok ok"])
def test_neutral_messages_never_switch(text: str) -> None:
    assert is_neutral(text)
    detection = Detection("en", 0.99, script_of(text), {})
    assert conversation_language("ps", detection, text) == "ps"


def test_clear_message_in_another_language_switches() -> None:
    detection = Detection("fr", 0.99, "latin", {})
    assert conversation_language("ps", detection, "je veux rentrer chez moi") == "fr"


def test_unsure_message_keeps_the_language() -> None:
    detection = Detection("fa", 0.6, "arabic", {})
    assert conversation_language("ps", detection, "کمپ کجاست") == "ps"


@pytest.mark.parametrize(
    "text,language",
    [("in pashto please", "ps"), ("بالعربي", "ar"), ("English", "en"), ("فارسی", "fa"), ("urdu me baat karo", "ur"),
     ("en français svp", "fr")],
)
def test_a_named_language_is_recognised(text: str, language: str) -> None:
    assert language_named_in(text) == language


def test_two_named_languages_are_ambiguous() -> None:
    assert language_named_in("english or french") is None


def test_detection_is_fast(detector: LanguageDetector) -> None:
    import time

    started = time.perf_counter()
    for _ in range(200):
        detector.detect(NATIVE["ps"])
    assert (time.perf_counter() - started) / 200 < 0.002
