"""Shared fixtures. The Rasa model is trained at most once per test run (and reused when its inputs are
unchanged); the Rasa server and the action server are started once per session."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Iterator

import pytest

from rahnama_core.channel import RasaClient, RasaReply, prepare_text
from rahnama_core.language import LanguageDetector
from rahnama_core.services import Stack
from rahnama_core.settings import Settings


@pytest.fixture(scope="session", autouse=True)
def isolated_var_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tests never touch the real var/: a fresh, migrated database per test run."""
    import os

    from storage.db import migrate

    var = tmp_path_factory.mktemp("var-session")
    saved = {name: os.environ.get(name) for name in ("RAHNAMA_VAR_DIR", "DATABASE_URL")}
    os.environ["RAHNAMA_VAR_DIR"] = str(var)
    os.environ["DATABASE_URL"] = f"sqlite:///{var / 'rahnama.db'}"
    migrate(os.environ["DATABASE_URL"])
    yield var
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def model() -> Path:
    from rahnama_core.model import ensure_models

    return ensure_models()


@pytest.fixture(scope="session")
def stack(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    var = tmp_path_factory.mktemp("var")
    settings = Settings.from_env({"RAHNAMA_VAR_DIR": str(var)})
    with Stack(settings=settings, model=model).running() as running:
        yield running


@pytest.fixture(scope="session")
def detector(model: Path) -> LanguageDetector:
    return LanguageDetector()


class Conversation:
    """One user talking to the running assistant, as the Telegram gateway would."""

    def __init__(self, rasa_url: str, sender: str) -> None:
        self.rasa_url = rasa_url
        self.sender = sender

    def say(self, text: str, **metadata: str) -> RasaReply:
        async def send() -> RasaReply:
            client = RasaClient(self.rasa_url)
            try:
                return await client.send(self.sender, prepare_text(text), metadata)
            finally:
                await client.close()

        return asyncio.run(send())

    def press(self, payload: str) -> RasaReply:
        from rahnama_core.channel import Prepared

        async def send() -> RasaReply:
            client = RasaClient(self.rasa_url)
            try:
                return await client.send(self.sender, Prepared(payload))
            finally:
                await client.close()

        return asyncio.run(send())


@pytest.fixture
def conversation(stack: Stack, request: pytest.FixtureRequest) -> Conversation:
    return Conversation(stack.rasa_url, f"test-{request.node.name}")
