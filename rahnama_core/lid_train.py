"""Training our fastText language model for exactly our six labels, from text kept in this repository.

Training text: the NLU training examples (nlu/data), everyday sentences (nlu/lid), generated Latin-letter
spellings of the Arabic-script ones (rahnama_core/transliterate.py), and the content (content/<lang>/*.md, ui.yml). The development sets (nlu/dev) are never used here: they measure.
Runs in the app's environment (fasttext-wheel trains); prediction needs only the model file.
"""

from __future__ import annotations

import random
import re
import tempfile
import time
from pathlib import Path

import yaml

from rahnama_core import REPO_ROOT
from rahnama_core.content import split_front_matter
from rahnama_core.language import ARABIC_SCRIPT_LANGUAGES, LANGUAGES, OWN_MODEL, clean_for_detection, script_of
from rahnama_core.transliterate import romanize
from rahnama_core.model import fingerprint
from rahnama_core.nlu_data import intent_examples
from rahnama_core.services import log

LID_INPUTS = ("nlu/data", "nlu/lid", "content", "rahnama_core/lid_train.py", "rahnama_core/language.py",
              "rahnama_core/transliterate.py")
FINGERPRINT_FILE = OWN_MODEL.with_suffix(".fingerprint")
_MARKUP = re.compile(r"\*\*|\*|\[|\]\([^)]*\)|^- ", re.MULTILINE)


def content_sentences(language: str) -> list[str]:
    folder = REPO_ROOT / "content" / language
    sentences: list[str] = []
    for file in sorted(folder.glob("*.md")):
        try:
            _, body, _ = split_front_matter(file.read_text(encoding="utf-8"), file)
        except ValueError:
            continue
        for line in _MARKUP.sub("", body).splitlines():
            sentences += [s.strip() for s in re.split(r"(?<=[.!?؟۔])\s+", line) if len(s.strip()) > 3]
    ui = folder / "ui.yml"
    if ui.is_file():
        sentences += [str(v) for v in (yaml.safe_load(ui.read_text(encoding="utf-8")) or {}).values()]
    return sentences


def training_lines() -> list[str]:
    lines: list[str] = []
    rng = random.Random(7)
    for language in LANGUAGES:
        texts = [text for text, _ in intent_examples(REPO_ROOT / "nlu" / "data" / language)]
        lid_file = REPO_ROOT / "nlu" / "lid" / f"{language}.txt"
        if lid_file.is_file():
            texts += lid_file.read_text(encoding="utf-8").splitlines()
        if language in ARABIC_SCRIPT_LANGUAGES:  # generated Latin-letter spellings of the native-script text
            texts += [romanize(t, language, rng) for t in texts if script_of(t) == "arabic"]
        texts += content_sentences(language)
        for text in texts:
            clean = clean_for_detection(text)
            if clean:
                lines.append(f"__label__{language} {clean}")
    random.Random(13).shuffle(lines)
    return lines


def train_lid_model(output: Path = OWN_MODEL) -> Path:
    import fasttext

    started = time.monotonic()
    lines = training_lines()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as handle:
        handle.write("\n".join(lines) + "\n")
        train_file = handle.name
    model = fasttext.train_supervised(
        input=train_file, lr=0.5, epoch=30, wordNgrams=2, minn=1, maxn=4, dim=32, bucket=200_000,
        loss="softmax", thread=1, verbose=0,
    )
    model.quantize(input=train_file, qnorm=True, retrain=True, cutoff=50_000, verbose=0)
    model.save_model(str(output))
    Path(train_file).unlink()
    log(f"trained the language model on {len(lines)} lines in {time.monotonic() - started:.1f} s "
        f"({output.stat().st_size // 1024} KiB)")
    return output


def ensure_lid_model(force: bool = False) -> Path:
    want = fingerprint(LID_INPUTS)
    if not force and OWN_MODEL.is_file() and FINGERPRINT_FILE.is_file() and FINGERPRINT_FILE.read_text() == want:
        return OWN_MODEL
    train_lid_model()
    FINGERPRINT_FILE.write_text(want)
    return OWN_MODEL
