"""Editors' changes reach people without a retrain or a restart: an edited answer is served by the running
action server within seconds, and a broken edit keeps the last valid version online."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Iterator

import pytest

from rahnama_core import REPO_ROOT
from rahnama_core.render import visible
from rahnama_core.services import Stack
from rahnama_core.settings import Settings
from tests.conftest import Conversation


@pytest.fixture(scope="module")
def editable(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Path]]:
    content = tmp_path_factory.mktemp("live") / "content"
    shutil.copytree(REPO_ROOT / "content", content)
    os.environ["RAHNAMA_CONTENT_DIR"] = str(content)
    try:
        settings = Settings.from_env({"RAHNAMA_VAR_DIR": str(tmp_path_factory.mktemp("live-var"))})
        with Stack(settings=settings, model=model).running() as stack:
            yield stack, content
    finally:
        os.environ.pop("RAHNAMA_CONTENT_DIR", None)


def answer_text(stack: Stack, sender: str) -> str:
    reply = Conversation(stack.rasa_url, sender).say("/start ps-return.reintegration")  # a deep link: Pashto
    return " ".join(visible(r["text"]) for r in reply.replies)


def test_an_edited_answer_is_served_without_restart_and_a_broken_edit_is_not(editable) -> None:
    stack, content = editable
    path = content / "ps" / "return.reintegration.md"
    original = path.read_text(encoding="utf-8")
    head, _, body = original.partition("\n---\n")
    assert "نوې جمله د ازموینې لپاره" not in answer_text(stack, "live-1")

    path.write_text(head + "\n---\nنوې جمله د ازموینې لپاره.\n\n" + body, encoding="utf-8")
    deadline = time.monotonic() + 10
    while "نوې جمله د ازموینې لپاره" not in answer_text(stack, "live-2"):
        assert time.monotonic() < deadline, "the edit was not served within 10 seconds"
        time.sleep(0.5)

    path.write_text("title: broken, no front matter markers\n", encoding="utf-8")
    time.sleep(2)
    assert "نوې جمله د ازموینې لپاره" in answer_text(stack, "live-3")
