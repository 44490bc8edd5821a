"""Content: the whole catalogue in six languages, rendering for Telegram, checks editors rely on."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from rahnama_core.catalogue import load_catalogue
from rahnama_core.content import ContentStore, body_hash, parse_answer
from rahnama_core.content_check import check_content, html_errors, stamp
from rahnama_core.render import FSI, PDI, TELEGRAM_LIMIT, render

CONTENT = Path(__file__).resolve().parent.parent / "content"


def test_every_key_has_an_answer_in_every_language() -> None:
    catalogue = load_catalogue()
    assert len(catalogue.topics) == 17
    for language in catalogue.languages:
        for key in catalogue.keys:
            assert (CONTENT / language / f"{key}.md").is_file(), f"content/{language}/{key}.md is missing"


def test_the_shipped_content_has_no_errors() -> None:
    errors = [str(p) for p in check_content() if p.severity == "error"]
    assert errors == []


def test_translations_are_up_to_date_with_english() -> None:
    stale = [str(p) for p in check_content() if "stale" in p.message]
    assert stale == []


def test_rendering_produces_telegram_html() -> None:
    parts = render("**Next step:** ask *IOM* staff.\n\n- one\n- two & <three>\n\n[UNHCR](https://www.unhcr.org/)", "en")
    assert parts == [
        "<b>Next step:</b> ask <i>IOM</i> staff.\n\n• one\n• two &amp; &lt;three&gt;\n\n"
        '<a href="https://www.unhcr.org/">UNHCR</a>'
    ]
    assert html_errors(parts[0]) == []


def test_latin_runs_in_right_to_left_text_are_isolated() -> None:
    [part] = render("با IOM در مرکز (Ušivak) تماس بگیرید: 122", "fa")
    assert f"{FSI}IOM{PDI}" in part
    assert f"({FSI}Ušivak{PDI})" in part
    assert f"{FSI}122{PDI}" in part


def test_long_answers_are_split_at_paragraphs_under_the_limit() -> None:
    paragraph = "This is a sentence of an answer. " * 40
    parts = render("\n\n".join([paragraph] * 12), "en")
    assert len(parts) > 1
    assert all(len(part) <= TELEGRAM_LIMIT for part in parts)
    assert all(not html_errors(part) for part in parts)


def test_one_huge_paragraph_is_split_too() -> None:
    parts = render("word " * 3000, "en")
    assert len(parts) >= 4 and all(len(part) <= TELEGRAM_LIMIT for part in parts)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    return root


def test_check_names_each_problem(content_copy: Path) -> None:
    (content_copy / "ur" / "services.health.md").unlink()
    broken = content_copy / "fr" / "asylum.apply.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("status: draft", "status: done"), encoding="utf-8")
    pashto = content_copy / "ps" / "return.avrr.md"
    farsi_body = (content_copy / "fa" / "return.avrr.md").read_text(encoding="utf-8").split("---", 2)[2]
    pashto.write_text(pashto.read_text(encoding="utf-8").split("---", 2)[1].join(["---", "---"]) + farsi_body, encoding="utf-8")
    problems = [str(p) for p in check_content(content_copy) if p.severity == "error"]
    assert any("ur/services.health.md" in p and "missing" in p for p in problems)
    assert any("fr/asylum.apply.md" in p and "status must be" in p for p in problems)
    assert any("ps/return.avrr.md" in p and "Pashto letters" in p for p in problems)


def test_changing_english_makes_translations_stale_until_stamped(content_copy: Path) -> None:
    english = content_copy / "en" / "return.avrr.md"
    english.write_text(english.read_text(encoding="utf-8") + "\nA new sentence.\n", encoding="utf-8")
    stale = {p.path.parent.name for p in check_content(content_copy) if "stale" in p.message and "return.avrr" in p.path.name}
    assert stale == {"ar", "fa", "ps", "ur", "fr"}
    stamp("ps", "return.avrr", content_copy)
    stale = {p.path.parent.name for p in check_content(content_copy) if "stale" in p.message and "return.avrr" in p.path.name}
    assert stale == {"ar", "fa", "ur", "fr"}
    assert parse_answer(content_copy / "ps" / "return.avrr.md", "ps").source_hash == body_hash(
        parse_answer(english, "en").body
    )


def test_content_check_is_fast() -> None:
    started = time.monotonic()
    check_content()
    assert time.monotonic() - started < 5


def test_an_edit_is_served_live_and_a_broken_edit_keeps_the_last_valid_version(content_copy: Path) -> None:
    store = ContentStore(root=content_copy, check_interval=0.0)
    path = content_copy / "en" / "services.health.md"
    original = store.answer("en", "services.health")
    assert original is not None
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(original.body.splitlines()[0], "Edited first line."), encoding="utf-8")
    _touch_later(path)
    assert store.answer("en", "services.health").body.startswith("Edited first line.")
    path.write_text("no front matter at all", encoding="utf-8")
    _touch_later(path)
    assert store.answer("en", "services.health").body.startswith("Edited first line.")


def _touch_later(path: Path) -> None:
    stat = path.stat()
    import os

    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
