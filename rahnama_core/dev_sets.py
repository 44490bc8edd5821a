"""The development sets kept apart from training (nlu/dev/<lang>.yml): what the benchmarks measure on."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from rahnama_core import REPO_ROOT
from rahnama_core.language import LANGUAGES, script_of

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
        path = DEV_DIR / f"{language}.yml"
        if not path.is_file():
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    text = line[2:].strip()
                    examples.append(DevExample(text, block["intent"], language, script_of(text)))
    return examples
