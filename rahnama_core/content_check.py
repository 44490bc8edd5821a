"""`./rahnama content check` and `./rahnama content stamp`: what editors need to keep six languages right."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import yaml

from rahnama_core.catalogue import Catalogue, load_catalogue
from rahnama_core.content import (
    CONTENT_DIR,
    HASH_FIELD,
    REQUIRED_FIELDS,
    STATUSES,
    Answer,
    ContentError,
    body_hash,
    load_ui,
    parse_answer,
)
from rahnama_core.language import PASHTO_LETTERS, URDU_LETTERS
from rahnama_core.render import TELEGRAM_LIMIT, render

ALLOWED_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "blockquote"}
TITLE_LIMIT = 40
_LINK = re.compile(r"\]\(([^)]*)\)")
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(/[^\s<>\"]*)?$")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_COMMANDS = re.compile(r"(?<![\w/])/[a-z]+\b")
_ARABIC_LETTERS = re.compile(r"[\u0600-\u06FF]")
_LATIN_LETTERS = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str
    severity: str = "error"  # "error" or "warning" (warnings fail only with --strict)

    def __str__(self) -> str:
        try:
            where = self.path.relative_to(CONTENT_DIR.parent)
        except ValueError:
            where = self.path
        return f"{where}:{self.line}: {self.severity}: {self.message}"


class _TelegramHTML(HTMLParser):
    """Checks that rendered HTML uses only Telegram's tags, properly nested."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.errors.append(f"tag <{tag}> is not allowed by Telegram")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes a tag that is not open")
        else:
            self.stack.pop()


def html_errors(html: str) -> list[str]:
    parser = _TelegramHTML()
    parser.feed(html)
    parser.close()
    return parser.errors + [f"<{tag}> is never closed" for tag in parser.stack]


def script_problem(language: str, text: str) -> str | None:
    """Why this text is not in the script its language uses, or None."""
    letters = set(text)
    arabic = len(_ARABIC_LETTERS.findall(text))
    latin = len(_LATIN_LETTERS.findall(text))
    if language in ("ar", "fa", "ps", "ur") and arabic < latin:
        return f"the text is mostly in Latin letters; {language} answers are written in Arabic script"
    if language in ("fr", "en") and arabic > 0:
        return "the text contains Arabic-script letters"
    if language == "ps" and not letters & PASHTO_LETTERS:
        return "no Pashto letters (ټ ډ ړ ږ ښ ګ ڼ ې ۍ ځ څ): this looks like Farsi or Urdu, not Pashto"
    if language == "ur" and not letters & URDU_LETTERS:
        return "no Urdu letters (ٹ ڈ ڑ ں ے ھ ہ): this looks like Farsi or Arabic, not Urdu"
    if language == "ar" and letters & set("یکگچپژ"):
        return "Persian letter forms (ی ک گ چ پ ژ) in Arabic text: use Arabic ي ك"
    if language == "fa" and letters & set("يك"):
        return "Arabic letter forms (ي ك) in Farsi/Dari text: use Persian ی ک"
    if language == "fa" and (letters & PASHTO_LETTERS or letters & set("ٹڈڑںے")):
        return "Pashto or Urdu letters in Farsi/Dari text"
    return None


def _line_of(path: Path, needle: str, default: int) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    return default


def check_answer(answer: Answer, english: Answer | None) -> list[Problem]:
    problems: list[Problem] = []
    path = answer.path
    for name in REQUIRED_FIELDS:
        if not str(answer.meta.get(name) or "").strip():
            problems.append(Problem(path, 2, f"front matter field '{name}' is missing or empty: add '{name}: ...'"))
    if answer.meta.get("status") not in STATUSES:
        problems.append(Problem(path, _line_of(path, "status:", 2), "status must be 'draft' or 'reviewed'"))
    if answer.meta.get("reviewed_on") and answer.reviewed_on is None:
        problems.append(Problem(path, _line_of(path, "reviewed_on:", 2), "reviewed_on must be a date like 2026-11-25"))
    if len(answer.title) > TITLE_LIMIT:
        problems.append(Problem(path, _line_of(path, "title:", 2), f"title is longer than {TITLE_LIMIT} characters (it is a button label)"))
    for part in render(answer.body, answer.language):
        for error in html_errors(part):
            problems.append(Problem(path, answer.body_line, f"rendered HTML is invalid: {error}"))
        if len(part) > TELEGRAM_LIMIT:
            problems.append(Problem(path, answer.body_line, "a rendered part is over Telegram's 4096 characters"))
    for url in _LINK.findall(answer.body):
        if not _URL.match(url):
            problems.append(Problem(path, _line_of(path, url, answer.body_line), f"link '{url}' is not a well-formed https:// address"))
    issue = script_problem(answer.language, answer.body)
    if issue:
        problems.append(Problem(path, answer.body_line, issue))
    if english is not None and answer.language != english.language:
        if sorted(_LINK.findall(answer.body)) != sorted(_LINK.findall(english.body)):
            problems.append(Problem(path, answer.body_line, "links differ from the English answer: use the same URLs"))
        if sorted(set(_COMMANDS.findall(answer.body))) != sorted(set(_COMMANDS.findall(english.body))):
            problems.append(Problem(path, answer.body_line, "commands (/human, /forget...) differ from the English answer"))
        recorded = answer.source_hash
        if recorded != body_hash(english.body):
            why = "has no en_hash" if not recorded else "was translated from an older English text"
            problems.append(Problem(
                path, _line_of(path, HASH_FIELD, 2),
                f"stale translation: it {why}; update it from content/en/{answer.key}.md, then run "
                f"./rahnama content stamp {answer.language} {answer.key}",
                "warning",
            ))
    if answer.status == "draft":
        problems.append(Problem(path, _line_of(path, "status:", 2), "draft: not yet reviewed", "warning"))
    return problems


def check_ui(language: str, root: Path, english: dict[str, str] | None) -> list[Problem]:
    path = root / language / "ui.yml"
    if not path.is_file():
        return [Problem(path, 1, "interface texts are missing: copy content/en/ui.yml and translate it")]
    try:
        ui = load_ui(path)
    except (ContentError, yaml.YAMLError) as error:
        return [Problem(path, 1, f"ui.yml is not valid YAML: {error}")]
    problems = []
    for key in sorted(set(english or {}) - set(ui)):
        problems.append(Problem(path, 1, f"interface text '{key}' is missing: translate it from content/en/ui.yml"))
    for key, text in ui.items():
        if english and key in english and sorted(_PLACEHOLDER.findall(text)) != sorted(_PLACEHOLDER.findall(english[key])):
            problems.append(Problem(path, _line_of(path, f"{key}:", 1), f"'{key}' must keep the placeholders {_PLACEHOLDER.findall(english[key])}"))
    if language != "en":
        issue = script_problem(language, " ".join(ui.values()))
        if issue:
            problems.append(Problem(path, 1, issue))
    return problems


def check_content(root: Path = CONTENT_DIR, strict: bool = False, catalogue: Catalogue | None = None) -> list[Problem]:
    catalogue = catalogue or load_catalogue()
    problems: list[Problem] = []
    answers: dict[tuple[str, str], Answer] = {}
    for language in catalogue.languages:
        for key in catalogue.keys:
            path = root / language / f"{key}.md"
            if not path.is_file():
                problems.append(Problem(path, 1, f"missing: write the {language} answer for '{key}' (translate content/en/{key}.md)"))
                continue
            try:
                answers[(language, key)] = parse_answer(path, language)
            except ContentError as error:
                problems.append(Problem(path, error.line, error.message))
            except (OSError, UnicodeDecodeError) as error:
                problems.append(Problem(path, 1, f"cannot be read: {error}"))
    english_ui: dict[str, str] | None = None
    try:
        english_ui = load_ui(root / catalogue.source_language / "ui.yml")
    except (OSError, ContentError, yaml.YAMLError):
        pass
    for language in catalogue.languages:
        problems += check_ui(language, root, english_ui)
        for key in catalogue.keys:
            answer = answers.get((language, key))
            if answer is not None:
                problems += check_answer(answer, answers.get((catalogue.source_language, key)))
    for language_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for extra in sorted(language_dir.glob("*.md")):
            if extra.stem not in catalogue.keys:
                problems.append(Problem(extra, 1, f"'{extra.stem}' is not a key of content/catalogue.yml", "warning"))
    if strict:
        problems = [Problem(p.path, p.line, p.message, "error") for p in problems]
    return problems


def stamp(language: str, key: str, root: Path = CONTENT_DIR) -> str:
    """Record in a translation the hash of the current English text: the editor says it is up to date."""
    english = parse_answer(root / "en" / f"{key}.md", "en")
    path = root / language / f"{key}.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    value = body_hash(english.body)
    for index in range(1, end):
        if lines[index].startswith(f"{HASH_FIELD}:"):
            lines[index] = f"{HASH_FIELD}: {value}"
            break
    else:
        lines.insert(end, f"{HASH_FIELD}: {value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return value
