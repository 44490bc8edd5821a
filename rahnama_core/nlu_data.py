"""Reading Rasa NLU YAML files (training data, development sets): one reader for every tool."""

from __future__ import annotations

from pathlib import Path

import yaml


def intent_examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) pairs of a Rasa NLU YAML file, or of every such file in a folder."""
    files = sorted(path.glob("*.yml")) if path.is_dir() else [path] if path.is_file() else []
    pairs: list[tuple[str, str]] = []
    for file in files:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    pairs.append((line[2:].strip(), block["intent"]))
    return pairs
