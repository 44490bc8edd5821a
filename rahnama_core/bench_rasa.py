"""Benchmarks that run inside the Rasa server's environment (they load the Rasa model or lid.176).

Prints one JSON object; `rahnama_core.bench` formats it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import sys
import time

from rahnama_core.dev_sets import load_dev_examples
from rahnama_core.language import LanguageDetector


def bench_nlu(model_path: str) -> dict:
    from rasa.core.agent import Agent

    logging.disable(logging.WARNING)
    agent = Agent.load(model_path)
    rows = []

    async def parse_all() -> None:
        for example in load_dev_examples():
            started = time.perf_counter()
            parsed = await agent.parse_message(example.text)
            elapsed = time.perf_counter() - started
            rows.append({
                "language": example.language, "script": example.script, "intent": example.intent,
                "predicted": parsed["intent"]["name"], "confidence": parsed["intent"]["confidence"],
                "top": next((r["name"] for r in parsed.get("intent_ranking") or [] if r["name"] != "nlu_fallback"),
                            parsed["intent"]["name"]),
                "detected_language": (parsed.get("language") or {}).get("code"), "seconds": elapsed,
            })

    asyncio.run(parse_all())
    return {"rows": rows}


SAFETY_SETS = ("safety_dev", "safety_test", "safety_blind", "safety_fresh")  # nlu/<set>/<lang>.yml, all kept apart from training


def bench_safety(model_path: str) -> dict:
    import yaml
    from rasa.core.agent import Agent

    from rahnama_core.dev_sets import DEV_DIR
    from rahnama_core.language import LANGUAGES, script_of
    from rahnama_core.triage import Triage

    logging.disable(logging.WARNING)
    agent = Agent.load(model_path)
    lexicon = Triage()
    rows = []

    async def parse_all() -> None:
        for held_out, language in itertools.product(SAFETY_SETS, LANGUAGES):
            path = DEV_DIR.parent / held_out / f"{language}.yml"
            if not path.is_file():
                continue
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            items = [(text, category) for category, texts in (data.get("emergency") or {}).items() for text in texts]
            items += [(text, None) for text in data.get("ordinary") or []]
            for text, category in items:
                parsed = await agent.parse_message(str(text))
                rows.append({
                    "set": held_out, "language": language, "text": str(text), "script": script_of(str(text)), "category": category,
                    "flagged": parsed["intent"]["name"].startswith("emergency_"),
                    "predicted": parsed["intent"]["name"],
                    "lexicon": lexicon.match(str(text)) is not None,
                    "confidence": parsed["intent"]["confidence"],
                    "ranking": [(r["name"], round(r["confidence"], 3)) for r in (parsed.get("intent_ranking") or [])[:4]],
                })

    asyncio.run(parse_all())
    return {"rows": rows}


def bench_lid() -> dict:
    ours = LanguageDetector()
    lid176 = LanguageDetector(own_model=None)
    rows = []
    for example in load_dev_examples():
        row = {"language": example.language, "script": example.script}
        for name, detector in (("ours", ours), ("lid176", lid176)):
            started = time.perf_counter()
            detection = detector.detect(example.text)
            row[name] = detection.language
            row[f"{name}_seconds"] = time.perf_counter() - started
        rows.append(row)
    return {"rows": rows}


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "nlu":
        result = bench_nlu(sys.argv[2])
    elif what == "safety":
        result = bench_safety(sys.argv[2])
    else:
        result = bench_lid()
    print(json.dumps(result))
