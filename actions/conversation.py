"""Conversation behaviours: greeting and small talk, language switching, and not understanding."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.catalogue import ask_which_topic, candidates
from actions.replies import (
    Turn,
    add_safety_net,
    counsellor_button,
    database,
    family_buttons,
    key_of_intent,
    language_buttons,
    metadata,
    settings,
)
from rahnama_core.language import LANGUAGES, language_named_in
from storage.gaps import record_unanswered

MISUNDERSTOOD_BEFORE_OFFER = 2


class ActionSmalltalk(Action):
    """Greeting (what the bot is and is not, and the menu), thanks, goodbye, "are you a bot?", out of scope."""

    def name(self) -> str:
        return "action_smalltalk"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = Turn.start(tracker)
        key = key_of_intent((tracker.latest_message.get("intent") or {}).get("name")) or "smalltalk.greet"
        turn.topic = key
        if key == "smalltalk.greet":
            turn.say_answer(key, footer=False)
            turn.say_text(turn.ui("menu_prompt"), family_buttons(turn) + [counsellor_button(turn)])
            if metadata(tracker).get("start"):  # /start: each language in its own name and script
                turn.say_text(turn.ui("language_ask"), language_buttons())
        elif key == "out_of_scope":
            turn.say_answer(key, footer=False, buttons=family_buttons(turn) + [counsellor_button(turn)])
        else:
            turn.say_answer(key, footer=False)
        add_safety_net(turn, tracker)
        return turn.send(dispatcher)


class ActionSwitchLanguage(Action):
    """Switch to the language the user picked or named; otherwise show the language picker."""

    def name(self) -> str:
        return "action_switch_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = Turn.start(tracker)
        turn.topic = "language.switch"
        chosen = next(tracker.get_latest_entity_values("chosen_language"), None)
        if chosen not in LANGUAGES:
            chosen = language_named_in(tracker.latest_message.get("text") or "")
        if chosen in LANGUAGES:
            turn.language = chosen
            turn.confirm_language = False  # chosen on purpose: nothing to confirm
            turn.say_text(turn.ui("language_set"), family_buttons(turn) + [counsellor_button(turn)])
        else:
            turn.say_answer("language.switch", footer=False, buttons=language_buttons())
        return turn.send(dispatcher)


class ActionFallback(Action):
    """Not understood: the likely topics (or the menu) and a counsellor; after two in a row, the counsellor first."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = Turn.start(tracker)
        turn.topic = "out_of_scope"
        misunderstood = int(tracker.get_slot("misunderstood") or 0) + 1
        ranked = candidates(tracker)
        if ranked:
            ask_which_topic(turn, [key for key, _ in ranked], counsellor_first=misunderstood >= MISUNDERSTOOD_BEFORE_OFFER)
        elif misunderstood >= MISUNDERSTOOD_BEFORE_OFFER:
            turn.say_text(turn.ui("fallback_again"), [counsellor_button(turn)] + family_buttons(turn))
        else:
            turn.say_text(turn.ui("fallback"), family_buttons(turn) + [counsellor_button(turn)])
        add_safety_net(turn, tracker)
        turn.events.append(SlotSet("misunderstood", misunderstood))
        text = tracker.latest_message.get("text") or ""
        if text and not text.startswith("/"):
            record_unanswered(database(), turn.language, text, pseudonym=tracker.sender_id)
        return turn.send(dispatcher)


MEDIA_KINDS = frozenset(
    {"sticker", "voice", "audio", "photo", "video", "video_note", "animation", "document", "location", "contact",
     "poll", "dice", "media", "emoji"}
)


class ActionBadInput(Action):
    """Input we cannot read (empty, a sticker, a voice note, another bot's command): a polite reply in the user's language."""

    def name(self) -> str:
        return "action_bad_input"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = Turn.start(tracker)
        turn.topic = "out_of_scope"
        kind = next(tracker.get_latest_entity_values("kind"), "empty")
        if kind == "other_bot_command":
            turn.say_text(turn.ui("other_bot_command"), family_buttons(turn))
        elif kind in MEDIA_KINDS:
            turn.say_text(turn.ui("unsupported_media"), [counsellor_button(turn)])
        else:
            turn.say_text(turn.ui("empty_message"), family_buttons(turn))
        return turn.send(dispatcher)



class ActionHelp(Action):
    """/help: what the bot is and is not, what is kept and for how long, and how to erase it."""

    def name(self) -> str:
        return "action_help"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = Turn.start(tracker)
        turn.topic = "smalltalk.bot_challenge"
        turn.say_text(turn.ui("help") + "\n\n" + turn.ui("retention_notice", days=str(settings().retention_days)),
                 family_buttons(turn) + [counsellor_button(turn)])
        return turn.send(dispatcher)
