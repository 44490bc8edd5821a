"""Building replies: the conversation's language, rendered content, buttons, and the metadata the channels read.

Every action ends its turn with one custom JSON message `{"rahnama": {...}}` (see `Turn.meta`) that the
Telegram gateway and `./rahnama ask` read for the language, topic, escalation and priority; it is never shown.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from rahnama_core.channel import payload
from rahnama_core.catalogue import Catalogue, intent_for, load_catalogue
from rahnama_core.content import Answer, ContentStore
from rahnama_core.language import (
    ARABIC_SCRIPT_LANGUAGES,
    LANGUAGES,
    NATIVE_NAMES,
    Detection,
    conversation_language,
    from_telegram_code,
)
from rahnama_core.render import TELEGRAM_LIMIT, render
from rahnama_core.settings import Settings
from storage.db import Database

CONTENT = ContentStore()
META_KEY = "rahnama"


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The action server's settings, read from the environment once."""
    return Settings.from_env()


@lru_cache(maxsize=1)
def database() -> Database:
    """The shared database (migrated by `./rahnama` before the action server starts)."""
    return Database(settings().database_url, run_migrations=False)


def catalogue() -> Catalogue:
    return load_catalogue()


def latest_detection(tracker: Tracker) -> Detection | None:
    data = tracker.latest_message.get("language")
    if not isinstance(data, dict) or data.get("code") not in LANGUAGES:
        return None
    return Detection(
        language=data["code"],
        confidence=float(data.get("confidence", 0.0)),
        script=str(data.get("script", "none")),
        scores=dict(data.get("scores") or {}),
    )


def metadata(tracker: Tracker) -> dict[str, Any]:
    value = tracker.latest_message.get("metadata")
    return value if isinstance(value, dict) else {}


def resolve_language(tracker: Tracker) -> str:
    """The language to answer in: chosen explicitly, else kept from the conversation unless the
    message is clearly another language, else the detected one, else Telegram's language_code."""
    chosen = metadata(tracker).get("language")
    if chosen in LANGUAGES:
        return chosen
    current = tracker.get_slot("language")
    detection = latest_detection(tracker)
    text = tracker.latest_message.get("text") or ""
    if detection is not None and not text.startswith("/"):
        if current not in LANGUAGES and detection.script == "none":
            return _telegram_language(tracker) or detection.language
        return conversation_language(current, detection, text)
    if current in LANGUAGES:
        return current
    return _telegram_language(tracker) or "en"


UNSURE_CONFIDENCE = 0.6


def _language_needs_confirmation(tracker: Tracker, language: str) -> bool:
    """A new conversation language read from Latin letters (Roman Urdu, Finglish...) or from an unsure
    detection gets a one-tap way to correct it."""
    detection = latest_detection(tracker)
    if detection is None or detection.script == "none" or metadata(tracker).get("language"):
        return False
    if language == tracker.get_slot("language"):
        return False
    latin_for_arabic_script = detection.script == "latin" and language in ARABIC_SCRIPT_LANGUAGES
    return latin_for_arabic_script or detection.confidence < UNSURE_CONFIDENCE


def _telegram_language(tracker: Tracker) -> str | None:
    return from_telegram_code(metadata(tracker).get("telegram_language_code"))


@dataclass
class Turn:
    """What one action says in one turn, built up and then sent with `send`."""

    tracker: Tracker
    language: str
    topic: str | None = None
    escalated: bool = False
    priority: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    events: list[EventType] = field(default_factory=list)

    confirm_language: bool = False

    @classmethod
    def start(cls, tracker: Tracker) -> "Turn":
        turn = cls(tracker=tracker, language=resolve_language(tracker))
        turn.confirm_language = _language_needs_confirmation(tracker, turn.language)
        if metadata(tracker).get("truncated"):
            turn.say_text(turn.ui("too_long"))
        return turn

    def ui(self, name: str, **values: str) -> str:
        return CONTENT.ui(self.language, name, **values)

    def say(self, html: str, buttons: list[dict[str, str]] | None = None) -> None:
        self.messages.append({"text": html, "buttons": buttons or []})

    def say_text(self, text: str, buttons: list[dict[str, str]] | None = None) -> None:
        """Say a plain interface text (escaped for Telegram's HTML)."""
        self.say(html.escape(text, quote=False), buttons)

    def say_answer(
        self, key: str, buttons: list[dict[str, str]] | None = None, footer: bool = True, heading: str | None = None
    ) -> Answer | None:
        """Send the content answer `key` in the conversation's language, split under Telegram's limit."""
        answer = CONTENT.answer(self.language, key)
        if answer is None:
            return None
        parts = render(answer.body, answer.language)
        if heading:
            parts = [heading + "\n\n" + parts[0], *parts[1:]]
        if footer:
            parts = _append(parts, self._footer(answer))
        for index, part in enumerate(parts):
            self.say(part, buttons if index == len(parts) - 1 else None)
        return answer

    def _footer(self, answer: Answer) -> str:
        lines = [self.ui("footer_counsellor")]
        if answer.reviewed_on:
            lines.append(self.ui("last_reviewed", date=format_date(answer.reviewed_on, self.language)))
        return "\n".join(f"<i>{render_text(line, self.language)}</i>" for line in lines)

    def meta(self) -> dict[str, Any]:
        detection = latest_detection(self.tracker)
        intent = self.tracker.latest_message.get("intent") or {}
        return {
            "language": self.language,
            "language_confidence": round(detection.confidence, 4) if detection else None,
            "detected_language": detection.language if detection else None,
            "script": detection.script if detection else None,
            "intent": intent.get("name"),
            "intent_confidence": round(float(intent.get("confidence") or 0.0), 4),
            "topic": self.topic,
            "escalated": self.escalated,
            "priority": self.priority,
        }

    def send(self, dispatcher: CollectingDispatcher) -> list[EventType]:
        if self.confirm_language:
            self.say_text(self.ui("language_confirm"), language_buttons())
        for message in self.messages:
            dispatcher.utter_message(text=message["text"], buttons=message["buttons"])
        dispatcher.utter_message(json_message={META_KEY: self.meta()})
        events: list[EventType] = [SlotSet("language", self.language)]
        if self.topic is not None:
            events.append(SlotSet("topic", self.topic))
        return events + self.events


def _append(parts: list[str], footer: str) -> list[str]:
    if parts and len(parts[-1]) + 2 + len(footer) <= TELEGRAM_LIMIT:
        return parts[:-1] + [parts[-1] + "\n\n" + footer]
    return parts + [footer]


def render_text(text: str, language: str) -> str:
    """A one-paragraph interface text as Telegram HTML."""
    return "\n".join(render(text, language)) if text.strip() else ""


def format_date(value: Any, language: str) -> str:
    from babel.dates import format_date as babel_format_date

    try:
        return babel_format_date(value, format="long", locale=language)
    except Exception:  # an unknown locale must never stop an answer
        return value.isoformat()


def counsellor_button(turn: Turn) -> dict[str, str]:
    return {"title": turn.ui("button.counsellor"), "payload": payload("human_request")}


# The NLU's emergency score (nlu/components/emergency_triage.py) of a message that was not flagged, above which
# the reply also gives the emergency numbers and a one-tap way to urgent help, as it does when an emergency
# phrase was used about the past or a hypothetical: a message that may describe danger never gets only an
# ordinary answer.
SAFETY_NET_SCORE = 0.2
DEFAULT_EMERGENCY = "emergency_violence"


def add_safety_net(turn: Turn, tracker: Tracker) -> None:
    """Emergency numbers and an "I am in danger now" button, when the message might describe danger."""
    triage = tracker.latest_message.get("triage") or {}
    if float(triage.get("score") or 0.0) < SAFETY_NET_SCORE and not triage.get("lexicon"):
        return
    ranking = tracker.latest_message.get("intent_ranking") or []
    emergency = next((r["name"] for r in ranking if str(r.get("name", "")).startswith("emergency_")), DEFAULT_EMERGENCY)
    turn.say_text(turn.ui("safety_net"), [{"title": turn.ui("button.danger_now"), "payload": payload(emergency)}])


def menu_button(turn: Turn) -> dict[str, str]:
    return {"title": turn.ui("button.menu"), "payload": payload("show_family")}


def family_buttons(turn: Turn) -> list[dict[str, str]]:
    return [
        {"title": turn.ui(f"family.{family}"), "payload": payload("show_family", family=family)}
        for family in catalogue().families
    ]


def topic_button(turn: Turn, key: str) -> dict[str, str]:
    answer = CONTENT.answer(turn.language, key)
    title = answer.title if answer else key
    return {"title": title, "payload": payload(intent_for(key))}


def language_buttons() -> list[dict[str, str]]:
    return [
        {"title": NATIVE_NAMES[lang], "payload": payload("choose_language", chosen_language=lang)}
        for lang in LANGUAGES
    ]


def key_of_intent(intent: str | None) -> str | None:
    return catalogue().key_for_intent(intent) if intent else None

