"""`./rahnama bench nlu|lid`: accuracy per language and script on the development sets, and latency."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

from rahnama_core import REPO_ROOT
from rahnama_core.catalogue import family_of, load_catalogue
from rahnama_core.language import LANGUAGES
from rahnama_core.model import ensure_models, train_rasa
from rahnama_core.services import rasa_environment

RASA_PYTHON = REPO_ROOT / ".venv" / "rasa" / "bin" / "python"


def _run_in_rasa_env(*args: str) -> dict:
    env = rasa_environment()
    output = subprocess.run(
        [str(RASA_PYTHON), "-m", "rahnama_core.bench_rasa", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _pct(good: int, total: int) -> str:
    return f"{100 * good / total:5.1f}%" if total else "    - "


def _family(intent: str) -> str:
    key = load_catalogue().key_for_intent(intent)
    return family_of(key) if key else intent


def report_nlu(rows: list[dict]) -> None:
    print("intent, family: the answer given; family*: the family of the best guess, also when the bot asks back")
    print(f"{'language':8} {'script':7} {'n':>4} {'intent':>7} {'family':>7} {'family*':>8} {'language':>9} {'fallback':>9}")
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        groups[(row["language"], row["script"])].append(row)
        groups[(row["language"], "all")].append(row)
        groups[("all", row["script"])].append(row)
        groups[("all", "all")].append(row)
    for language in [*LANGUAGES, "all"]:
        for script in ("arabic", "latin", "all"):
            group = groups.get((language, script))
            if not group:
                continue
            intent_ok = sum(r["predicted"] == r["intent"] for r in group)
            family_ok = sum(_family(r["predicted"]) == _family(r["intent"]) for r in group)
            guess_ok = sum(_family(r["top"]) == _family(r["intent"]) for r in group)
            language_ok = sum(r["detected_language"] == r["language"] for r in group)
            fallback = sum(r["predicted"] == "nlu_fallback" for r in group)
            print(f"{language:8} {script:7} {len(group):4} {_pct(intent_ok, len(group)):>7} "
                  f"{_pct(family_ok, len(group)):>7} {_pct(guess_ok, len(group)):>8} {_pct(language_ok, len(group)):>9} "
                  f"{_pct(fallback, len(group)):>9}")
    seconds = sorted(r["seconds"] for r in rows)
    print(f"parse latency: median {1000 * statistics.median(seconds):.1f} ms, "
          f"p95 {1000 * seconds[int(0.95 * (len(seconds) - 1))]:.1f} ms")
    confusions = Counter((r["intent"], r["predicted"]) for r in rows if r["predicted"] != r["intent"])
    print("most frequent confusions (expected -> predicted):")
    for (expected, predicted), count in confusions.most_common(10):
        print(f"  {count:3} {expected} -> {predicted}")


def report_lid(rows: list[dict]) -> None:
    print(f"{'language':8} {'script':7} {'n':>4} {'ours':>7} {'lid.176':>8}")
    for language in [*LANGUAGES, "all"]:
        for script in ("arabic", "latin", "all"):
            group = [r for r in rows if (language == "all" or r["language"] == language)
                     and (script == "all" or r["script"] == script)]
            if not group:
                continue
            ours = sum(r["ours"] == r["language"] for r in group)
            lid = sum(r["lid176"] == r["language"] for r in group)
            print(f"{language:8} {script:7} {len(group):4} {_pct(ours, len(group)):>7} {_pct(lid, len(group)):>8}")
    print("\nconfusion matrix, ours (rows: true language, columns: detected)")
    print("      " + "".join(f"{lang:>6}" for lang in LANGUAGES))
    for truth in LANGUAGES:
        counts = Counter(r["ours"] for r in rows if r["language"] == truth)
        print(f"{truth:6}" + "".join(f"{counts.get(lang, 0):6}" for lang in LANGUAGES))
    for name in ("ours", "lid176"):
        seconds = sorted(r[f"{name}_seconds"] for r in rows)
        print(f"latency {name}: median {1e3 * statistics.median(seconds):.3f} ms, "
              f"p99 {1e3 * seconds[int(0.99 * (len(seconds) - 1))]:.3f} ms per message")


def report_safety(all_rows: list[dict]) -> None:
    for held_out in dict.fromkeys(r["set"] for r in all_rows):
        print(f"\n== nlu/{held_out}/ ==")
        _report_safety_set([r for r in all_rows if r["set"] == held_out])
    if len({r["set"] for r in all_rows}) > 1:
        print("\n== all sets together ==")
        _report_safety_set(all_rows)


def _report_safety_set(rows: list[dict]) -> None:
    print("emergency recall (flagged as urgent / emergencies) and false alarms (flagged / ordinary messages)")
    print(f"{'language':8} {'script':7} {'recall':>14} {'lexicon only':>14} {'false alarms':>14}")
    for language in [*LANGUAGES, "all"]:
        for script in ("arabic", "latin", "all"):
            group = [r for r in rows if (language == "all" or r["language"] == language)
                     and (script == "all" or r["script"] == script)]
            urgent = [r for r in group if r["category"]]
            ordinary = [r for r in group if not r["category"]]
            if not group:
                continue
            recall = sum(r["flagged"] for r in urgent)
            lexicon = sum(r["lexicon"] for r in urgent)
            alarms = sum(r["flagged"] for r in ordinary)
            print(f"{language:8} {script:7} {recall:4}/{len(urgent):<4}{_pct(recall, len(urgent)):>6} "
                  f"{_pct(lexicon, len(urgent)):>14} {alarms:4}/{len(ordinary):<4}{_pct(alarms, len(ordinary)):>6}")
    missed = [r for r in rows if r["category"] and not r["flagged"]]
    print(f"missed emergencies: {len(missed)}; by category: "
          + ", ".join(f"{k} {v}" for k, v in Counter(r["category"] for r in missed).most_common()))


def main(what: str, args: argparse.Namespace) -> int:
    if what == "safety":
        model = ensure_models()
        report_safety(_run_in_rasa_env("safety", str(model))["rows"])
        return 0
    if what == "lid":
        from rahnama_core.lid_train import ensure_lid_model

        ensure_lid_model()
        report_lid(_run_in_rasa_env("lid")["rows"])
        return 0
    if args.config == "config.yml":
        model = ensure_models()
    else:
        model = REPO_ROOT / "var" / "bench" / f"bench-{Path(args.config).stem}.tar.gz"
        train_rasa(model, config=args.config)
    print(f"model: {model.name} (config {args.config}); development set: nlu/dev/")
    report_nlu(_run_in_rasa_env("nlu", str(model))["rows"])
    return 0
