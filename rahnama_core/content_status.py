"""`./rahnama content status`: topics x languages in the terminal, or one side-by-side HTML page for review."""

from __future__ import annotations

import html
from pathlib import Path

from rahnama_core.catalogue import load_catalogue
from rahnama_core.content import CONTENT_DIR, Answer, ContentError, body_hash, parse_answer
from rahnama_core.render import RTL_LANGUAGES, render

MARKS = {"reviewed": "ok", "draft": "draft", "stale": "STALE", "missing": "MISSING", "broken": "BROKEN"}


def state(language: str, key: str, root: Path = CONTENT_DIR) -> tuple[str, Answer | None]:
    path = root / language / f"{key}.md"
    if not path.is_file():
        return "missing", None
    try:
        answer = parse_answer(path, language)
    except (ContentError, OSError, UnicodeDecodeError):
        return "broken", None
    if language != "en":
        try:
            english = parse_answer(root / "en" / f"{key}.md", "en")
            if answer.source_hash != body_hash(english.body):
                return "stale", answer
        except (ContentError, OSError):
            pass
    return ("reviewed" if answer.status == "reviewed" else "draft"), answer


def print_status(root: Path = CONTENT_DIR) -> None:
    catalogue = load_catalogue()
    languages = catalogue.languages
    print(f"{'key':34}" + "".join(f"{lang:>9}" for lang in languages) + "   last reviewed")
    totals: dict[str, int] = {}
    for key in catalogue.keys:
        cells, dates = [], []
        for language in languages:
            status, answer = state(language, key, root)
            totals[status] = totals.get(status, 0) + 1
            cells.append(f"{MARKS[status]:>9}")
            if answer and answer.reviewed_on:
                dates.append(answer.reviewed_on)
        print(f"{key:34}" + "".join(cells) + f"   {min(dates).isoformat() if dates else '-'}")
    print("\n" + ", ".join(f"{MARKS[s]}: {n}" for s, n in sorted(totals.items())))


def write_html(target: str, root: Path = CONTENT_DIR) -> None:
    catalogue = load_catalogue()
    rows = []
    for key in catalogue.keys:
        cells = []
        for language in catalogue.languages:
            status, answer = state(language, key, root)
            direction = "rtl" if language in RTL_LANGUAGES else "ltr"
            body = "<br><br>".join(p.replace("\n", "<br>") for p in render(answer.body, language)) if answer else ""
            title = html.escape(answer.title) if answer else ""
            reviewed = answer.reviewed_on.isoformat() if answer and answer.reviewed_on else "-"
            cells.append(
                f'<td dir="{direction}" lang="{language}" class="{status}"><div class="meta">{language} · '
                f"{MARKS[status]} · {reviewed}</div><h3>{title}</h3>{body}</td>"
            )
        rows.append(f"<tr><th>{html.escape(key)}</th>{''.join(cells)}</tr>")
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Rahnama content review</title>
<style>
body {{ font-family: "Noto Sans", "Noto Naskh Arabic", "Noto Nastaliq Urdu", sans-serif; margin: 1em; }}
table {{ border-collapse: collapse; table-layout: fixed; width: 100%; }}
td, th {{ border: 1px solid #ccc; padding: .5em; vertical-align: top; font-size: 14px; }}
th {{ width: 9em; text-align: left; }}
.meta {{ font-size: 11px; color: #666; }}
.stale, .missing, .broken {{ background: #fde2e2; }} .draft {{ background: #fff7dd; }}
td[lang=ur] {{ font-family: "Noto Nastaliq Urdu", serif; line-height: 2; }}
</style></head><body>
<h1>Rahnama: every answer in six languages</h1>
<table><tr><th>key</th>{''.join(f'<th>{lang}</th>' for lang in catalogue.languages)}</tr>
{''.join(rows)}
</table></body></html>
"""
    Path(target).write_text(page, encoding="utf-8")
