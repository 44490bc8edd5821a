"""Text normalisation shared by the NLU pipeline, the actions and the gateway."""

from __future__ import annotations

import re
import unicodedata

# Arabic-script letter variants folded to one form for matching (the reply is never normalised).
_LETTER_FOLDS = str.maketrans(
    {
        "ي": "ی", "ى": "ی", "ې": "ی", "ۍ": "ی", "ئ": "ی",  # yeh forms (Arabic, Persian, Pashto)
        "ك": "ک", "ګ": "گ",  # kaf and gaf forms
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",  # alef forms
        "ۀ": "ه", "ة": "ه", "ہ": "ه", "ە": "ه",  # heh forms
        "ؤ": "و",
    }
)
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_DIACRITICS = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED]")
TATWEEL = "\u0640"
ZWNJ = "\u200c"
# Zero-width and bidirectional controls that people paste or keyboards insert; ZWNJ is kept (a Persian join).
_INVISIBLE = re.compile(r"[\u200b\u200d\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_input(text: str, limit: int = 2000) -> str:
    """A user's message made safe to process: no NUL or control characters, no bidi controls,
    whitespace collapsed, at most `limit` characters. Meaning is unchanged."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    text = _INVISIBLE.sub("", text)
    text = " ".join(text.split())
    return text[:limit].strip()


def fold(token: str) -> str:
    """A token's form for features and matching: lower case, no diacritics, tatweel or accents,
    Arabic/Persian/Pashto letter variants folded, Persian and Arabic-Indic digits as ASCII digits.
    A zero-width non-joiner inside a word is kept: it joins a Persian word, it does not split it."""
    token = unicodedata.normalize("NFKC", token).lower()
    token = token.replace(TATWEEL, "")
    token = _DIACRITICS.sub("", token)
    token = token.translate(_LETTER_FOLDS).translate(_DIGITS)
    decomposed = unicodedata.normalize("NFD", token)
    token = "".join(ch for ch in decomposed if not (unicodedata.combining(ch) and ord(ch) < 0x0600))
    return unicodedata.normalize("NFC", token)
