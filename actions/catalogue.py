"""Catalogue answers: a topic's answer, and the topic menu."""

from __future__ import annotations

import html
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import (
    Turn,
    add_safety_net,
    catalogue,
    counsellor_button,
    family_buttons,
    key_of_intent,
    menu_button,
    topic_button,
)

# Below this confidence, when another topic is nearly as likely, the bot asks "did you mean...?"
# instead of stating an answer.
ANSWER_CONFIDENCE = 0.45
CANDIDATE_CONFIDENCE = 0.1
HOST_COUNTRY = "BA"  # Bosnia and Herzegovina: a return answer names the country the person would go back to


class ActionAnswerTopic(Action):
    """Answer a catalogue topic from content/, or ask which topic was meant when unsure."""

    def name(self) -> str:
        return "action_answer_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = Turn.start(tracker)
        intent = tracker.latest_message.get("intent") or {}
        key = key_of_intent(intent.get("name"))
        confidence = float(intent.get("confidence") or 0.0)
        turn.topic = key
        if key is None:
            return turn.send(dispatcher)
        if confidence < ANSWER_CONFIDENCE:
            ranked = candidates(tracker)
            if len(ranked) > 1 and ranked[1][1] >= confidence / 2:
                ask_which_topic(turn, [key for key, _ in ranked])
                add_safety_net(turn, tracker)
                return turn.send(dispatcher)
        heading = None
        if key.startswith("return."):
            country = next(tracker.get_latest_entity_values("country"), None) or tracker.get_slot("country")
            if country and country != HOST_COUNTRY:
                heading = f"<b>{html.escape(country_name(country, turn.language))}</b>"
        turn.say_answer(key, buttons=[counsellor_button(turn), menu_button(turn)], heading=heading)
        if key in catalogue().offer_counsellor:
            turn.say_text(turn.ui("counsellor_offer"), [counsellor_button(turn)])
        add_safety_net(turn, tracker)
        turn.events.append(SlotSet("misunderstood", 0))
        return turn.send(dispatcher)


def country_name(code: str, language: str) -> str:
    """A country's name in the user's language (CLDR, shipped with Babel)."""
    from babel import Locale

    return str(Locale(language).territories.get(code, code))


def candidates(tracker: Tracker) -> list[tuple[str, float]]:
    """Catalogue topics the classifier thinks possible, with their confidence, most likely first (at most three)."""
    found: list[tuple[str, float]] = []
    for ranked in tracker.latest_message.get("intent_ranking") or []:
        key = key_of_intent(ranked.get("name"))
        confidence = float(ranked.get("confidence") or 0)
        if key in catalogue().topics and confidence >= CANDIDATE_CONFIDENCE:
            found.append((key, confidence))
    return found[:3]


def ask_which_topic(turn: Turn, keys: list[str], counsellor_first: bool = False) -> None:
    """ "Did you mean...?" with the candidate topics as buttons, and a counsellor."""
    turn.topic = keys[0]
    buttons = [topic_button(turn, key) for key in keys]
    if counsellor_first:
        turn.say_text(turn.ui("fallback_again"), [counsellor_button(turn)])
        turn.say_text(turn.ui("did_you_mean"), buttons)
    else:
        turn.say_text(turn.ui("did_you_mean"), buttons + [counsellor_button(turn)])


class ActionShowTopics(Action):
    """Show the topics of one family, or the families."""

    def name(self) -> str:
        return "action_show_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = Turn.start(tracker)
        family = next(tracker.get_latest_entity_values("family"), None)
        if family in catalogue().families:
            buttons = [topic_button(turn, key) for key in catalogue().topics_of(family)]
            turn.say_text(turn.ui("menu_prompt"), buttons + [menu_button(turn)])
        else:
            turn.say_text(turn.ui("menu_prompt"), family_buttons(turn) + [counsellor_button(turn)])
        return turn.send(dispatcher)
