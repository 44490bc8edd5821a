"""What every channel (the Telegram gateway, `./rahnama ask`, the terminal chat) does the same way:
turn a user's input into a safe Rasa message, and read Rasa's answer.

User text never reaches Rasa as an intent payload: a leading "/" is either one of our commands
or stripped, so nobody can trigger an intent or inject entities by typing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from rahnama_core.text import clean_input

MAX_TEXT = 1000  # characters read from one message; longer messages are cut at a word boundary
META_KEY = "rahnama"

# Commands a person can type, mapped to the intent they trigger.
COMMANDS = {
    "start": "smalltalk_greet",
    "help": "show_help",
    "topics": "show_family",
    "menu": "show_family",
    "language": "language_switch",
    "human": "human_request",
    "forget": "show_help",  # the Telegram gateway handles /forget itself; elsewhere it explains it
}
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?:\s+(.*))?$", re.DOTALL)
_PAYLOAD = re.compile(r'^/[a-z_]{2,64}(\{"[a-z_]{1,32}":"[a-z0-9._-]{1,40}"\})?$')


def payload(intent: str, **entities: str) -> str:
    """A Rasa payload that triggers `intent` without the NLU: `/intent{"k":"v"}`."""
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}" if entities else f"/{intent}"


def is_our_payload(text: str) -> bool:
    """True for the button payloads our actions create (what a callback may carry back)."""
    return bool(_PAYLOAD.match(text))


@dataclass(frozen=True)
class Prepared:
    message: str
    metadata: dict[str, Any] = field(default_factory=dict)


def prepare_text(text: str | None, bot_username: str | None = None) -> Prepared:
    """A user's text as a Rasa message: cleaned, cut to MAX_TEXT, commands mapped, payloads refused."""
    cleaned = clean_input(text or "", limit=20_000)
    if not cleaned:
        return Prepared(payload("bad_input", kind="empty"))
    if not any(char.isalnum() for char in cleaned):  # emoji, stickers typed as text, punctuation only
        return Prepared(payload("bad_input", kind="emoji"))
    if cleaned.startswith("/"):
        match = _COMMAND.match(cleaned)
        if match:
            command, addressee, rest = match.group(1).lower(), match.group(2), (match.group(3) or "").strip()
            if addressee and bot_username and addressee.lower() != bot_username.lower():
                return Prepared(payload("bad_input", kind="other_bot_command"))
            if command in COMMANDS:
                if command == "start":
                    return prepare_start(rest) if rest else Prepared(payload("smalltalk_greet"), {"start": True})
                return Prepared(payload(COMMANDS[command]))
            return Prepared(payload("bad_input", kind="other_bot_command"))
        cleaned = cleaned.lstrip("/ ").strip()
        if not cleaned:
            return Prepared(payload("bad_input", kind="empty"))
    metadata: dict[str, Any] = {}
    if len(cleaned) > MAX_TEXT:
        cut = cleaned[:MAX_TEXT]
        cleaned = cut.rsplit(" ", 1)[0] if " " in cut[MAX_TEXT // 2 :] else cut
        metadata["truncated"] = True
    return Prepared(cleaned, metadata)


def prepare_start(argument: str) -> Prepared:
    """A deep link's start payload: `ps`, `return.avrr` or `ps-return.avrr`."""
    from rahnama_core.catalogue import intent_for, load_catalogue
    from rahnama_core.language import LANGUAGES

    language, _, key = argument.partition("-") if "-" in argument else (argument, "", "")
    if language not in LANGUAGES:
        language, key = "", argument
    metadata: dict[str, Any] = {"language": language} if language else {}
    if key in load_catalogue().topics:
        return Prepared(payload(intent_for(key)), metadata)
    return Prepared(payload("smalltalk_greet"), metadata)


def prepare_media(kind: str) -> Prepared:
    """A message that is not text (sticker, voice note, photo...): a polite "I can only read text"."""
    return Prepared(payload("bad_input", kind=kind))


@dataclass
class RasaReply:
    replies: list[dict[str, Any]]
    meta: dict[str, Any]


def read_rasa_messages(messages: list[dict[str, Any]]) -> RasaReply:
    """Rasa REST messages -> visible replies (text and buttons) and our metadata."""
    replies: list[dict[str, Any]] = []
    meta: dict[str, Any] = {}
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, dict) and META_KEY in custom:
            meta = custom[META_KEY]
            continue
        if message.get("text"):
            buttons = [
                {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                for b in message.get("buttons") or []
            ]
            replies.append({"text": message["text"], "buttons": buttons})
    return RasaReply(replies, meta)


class RasaClient:
    """Rasa (our input channel, connectors/rahnama_channel.py), behind one small class."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=32))

    async def send(self, sender: str, prepared: Prepared, metadata: dict[str, Any] | None = None) -> RasaReply:
        body = {"sender": sender, "message": prepared.message, "metadata": {**(metadata or {}), **prepared.metadata}}
        response = await self._http.post(f"{self.base_url}/webhooks/rahnama/webhook", json=body)
        response.raise_for_status()
        return read_rasa_messages(response.json())

    async def transcript(self, sender: str, lines: int) -> list[str]:
        """The last messages of a conversation (the person's and the bot's), for a counsellor's case card."""
        from rahnama_core.render import visible

        response = await self._http.get(f"{self.base_url}/conversations/{sender}/tracker")
        response.raise_for_status()
        said: list[str] = []
        for event in response.json().get("events") or []:
            text = event.get("text")
            if event.get("event") == "user" and text and not text.startswith("/"):
                said.append("👤 " + text)
            elif event.get("event") == "bot" and text:
                said.append("🤖 " + visible(text).split("\n")[0])
        return said[-lines:]

    async def close(self) -> None:
        await self._http.aclose()
