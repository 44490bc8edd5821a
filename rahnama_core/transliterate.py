"""Generated Latin-letter spellings of Arabic-script sentences, as people type them on phones
(Arabizi, Finglish, Roman Urdu, romanized Pashto). Used only to add training text for our language model;
the spellings are rough on purpose, with several habits chosen at random, as real ones are."""

from __future__ import annotations

import random

# Letters shared by the four languages; one or more spellings each (the first is the most common).
_COMMON: dict[str, tuple[str, ...]] = {
    "ا": ("a",), "آ": ("a", "aa"), "أ": ("a", "2a"), "إ": ("e", "i"), "ب": ("b",), "پ": ("p",), "ت": ("t",),
    "ث": ("s", "th"), "ج": ("j", "g"), "چ": ("ch",), "ح": ("h",), "خ": ("kh", "x"), "د": ("d",), "ذ": ("z", "dh"),
    "ر": ("r",), "ز": ("z",), "ژ": ("zh", "j"), "س": ("s",), "ش": ("sh", "ch"), "ص": ("s",), "ض": ("z", "d"),
    "ط": ("t",), "ظ": ("z",), "ع": ("a", ""), "غ": ("gh",), "ف": ("f",), "ق": ("q", "k"), "ک": ("k",), "ك": ("k",),
    "گ": ("g",), "ل": ("l",), "م": ("m",), "ن": ("n",), "و": ("o", "u", "w"), "ه": ("h", "a", "e"), "ة": ("a", "e"),
    "ی": ("i", "y", "e"), "ي": ("i", "y", "e"), "ى": ("a", "i"), "ء": ("", "'"), "ئ": ("i", "e"), "ؤ": ("o", "u"),
    # Urdu
    "ٹ": ("t",), "ڈ": ("d",), "ڑ": ("r",), "ں": ("n",), "ے": ("e", "ay"), "ھ": ("h",), "ہ": ("h", "a", "e"),
    # Pashto
    "ټ": ("t",), "ډ": ("d",), "ړ": ("r",), "ږ": ("zh", "g"), "ښ": ("sh", "kh", "x"), "ګ": ("g",), "ڼ": ("n",),
    "ې": ("e",), "ۍ": ("ai", "ay", "i"), "ځ": ("z", "dz"), "څ": ("ts", "s"),
}
# Arabizi: numbers for sounds Latin letters lack.
_ARABIZI: dict[str, tuple[str, ...]] = {"ع": ("3",), "ح": ("7", "h"), "ء": ("2",), "أ": ("2", "a"), "ق": ("9", "q", "2"),
                                        "خ": ("5", "kh"), "غ": ("gh", "8")}
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def romanize(text: str, language: str, rng: random.Random) -> str:
    """One plausible Latin-letter spelling of an Arabic-script sentence."""
    table = dict(_COMMON)
    if language == "ar" and rng.random() < 0.7:
        table.update(_ARABIZI)
    out: list[str] = []
    for index, char in enumerate(text.translate(_DIGITS)):
        options = table.get(char)
        if options is None:
            out.append(" " if char in "\u200c،؟" else char)
            continue
        at_word_start = index == 0 or text[index - 1] == " "
        if char in "وی" and at_word_start:
            out.append("w" if char == "و" else "y")
            continue
        out.append(options[0] if rng.random() < 0.6 else rng.choice(options))
    return " ".join("".join(out).split()).replace("?", "?").lower()
