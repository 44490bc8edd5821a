"""Handover to a human counsellor, and emergencies (always urgent, whatever the classifier's confidence)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import Turn, key_of_intent


class ActionHandover(Action):
    """The user asked for a person: tell them a counsellor will answer here, and escalate."""

    def name(self) -> str:
        return "action_handover"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = Turn.start(tracker)
        turn.topic = "human.request"
        turn.escalated = True
        turn.priority = "normal"
        turn.say_answer("human.request", footer=False)
        turn.events += [SlotSet("escalated", True), SlotSet("misunderstood", 0)]
        return turn.send(dispatcher)


class ActionEmergency(Action):
    """Someone is in danger: the emergency card in their language at once, and an urgent escalation."""

    def name(self) -> str:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = Turn.start(tracker)
        key = key_of_intent((tracker.latest_message.get("intent") or {}).get("name")) or "emergency.violence"
        turn.topic = key
        turn.escalated = True
        turn.priority = "urgent"
        turn.say_answer(key, footer=False)
        turn.events += [SlotSet("escalated", True), SlotSet("misunderstood", 0)]
        return turn.send(dispatcher)
