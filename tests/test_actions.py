"""Actions, run directly with a tracker as the action server would receive it."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.catalogue import ActionAnswerTopic
from actions.conversation import ActionBadInput, ActionFallback, ActionSwitchLanguage
from actions.handover import ActionEmergency
from actions.replies import META_KEY
from rahnama_core.render import plain_text


def tracker(text: str, intent: str, confidence: float = 0.95, language: str | None = None, slots: dict | None = None,
            ranking: list[tuple[str, float]] | None = None, entities: list[dict] | None = None,
            metadata: dict | None = None, emergency_score: float = 0.0) -> Tracker:
    latest: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in (ranking or [(intent, confidence)])],
        "entities": entities or [],
        "metadata": metadata or {},
        "triage": {"score": emergency_score, "lexicon": False},
    }
    if language:
        latest["language"] = {"code": language, "confidence": 0.99, "script": "arabic" if language in "ar fa ps ur" else "latin", "scores": {}}
    return Tracker("user", {"language": None, "misunderstood": 0, **(slots or {})}, latest, [], False, None, {}, "action_listen")


def run(action: Any, t: Tracker) -> tuple[list[dict], dict, list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    visible = [m for m in dispatcher.messages if not m.get("custom")]
    [meta] = [m["custom"][META_KEY] for m in dispatcher.messages if m.get("custom")]
    return visible, meta, events


def test_a_topic_is_answered_from_content_in_the_detected_language() -> None:
    messages, meta, events = run(ActionAnswerTopic(), tracker("کور ته تلل غواړم", "return_avrr", language="ps"))
    assert meta["topic"] == "return.avrr" and meta["language"] == "ps"
    text = plain_text(messages[0]["text"])
    assert "IOM" in text and "ستنېدل" in text
    assert {"event": "slot", "name": "language", "value": "ps", "timestamp": None} in events
    assert any(b["payload"] == "/human_request" for b in messages[-1]["buttons"])


def test_the_conversation_keeps_its_language_for_a_neutral_message() -> None:
    _, meta, _ = run(ActionAnswerTopic(), tracker("ok", "return_avrr", language="en", slots={"language": "ur"}))
    assert meta["language"] == "ur"


def test_an_unsure_topic_asks_which_one_was_meant() -> None:
    t = tracker("papers", "asylum_documents", confidence=0.4, language="en",
                ranking=[("asylum_documents", 0.4), ("return_documents", 0.35), ("smalltalk_bye", 0.1)])
    messages, meta, _ = run(ActionAnswerTopic(), t)
    assert len(messages) == 1
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[:2] == ["/asylum_documents", "/return_documents"] and "/human_request" in payloads


def test_deadline_topics_offer_a_counsellor() -> None:
    messages, _, _ = run(ActionAnswerTopic(), tracker("rejected", "asylum_decision_appeal", language="en"))
    assert "counsellor" in plain_text(messages[-1]["text"]).lower()


def test_two_misunderstood_messages_in_a_row_offer_a_counsellor() -> None:
    first, meta, events = run(ActionFallback(), tracker("xyz", "nlu_fallback", 0.2, language="fr"))
    assert meta["language"] == "fr" and first[0]["buttons"][0]["payload"].startswith("/show_family")
    second, _, _ = run(ActionFallback(), tracker("xyz", "nlu_fallback", 0.2, language="fr", slots={"misunderstood": 1, "language": "fr"}))
    assert second[0]["buttons"][0]["payload"] == "/human_request"


def test_emergencies_are_urgent_escalations() -> None:
    messages, meta, _ = run(ActionEmergency(), tracker("they beat me", "emergency_violence", language="en"))
    assert meta["escalated"] is True and meta["priority"] == "urgent" and meta["topic"] == "emergency.violence"
    assert "122" in " ".join(plain_text(m["text"]) for m in messages)


def test_a_language_button_switches_the_language() -> None:
    t = tracker('/choose_language{"chosen_language":"ps"}', "choose_language", slots={"language": "en"},
                entities=[{"entity": "chosen_language", "value": "ps"}])
    messages, meta, _ = run(ActionSwitchLanguage(), t)
    assert meta["language"] == "ps" and "پښتو" in plain_text(messages[0]["text"])


def test_a_sticker_gets_a_polite_reply_in_the_conversation_language() -> None:
    t = tracker('/bad_input{"kind":"sticker"}', "bad_input", slots={"language": "ar"}, entities=[{"entity": "kind", "value": "sticker"}])
    messages, meta, _ = run(ActionBadInput(), t)
    assert meta["language"] == "ar"
    assert plain_text(messages[0]["text"]) == __import__("actions.replies", fromlist=["CONTENT"]).CONTENT.ui("ar", "unsupported_media")


def test_a_message_that_may_describe_danger_also_gets_the_numbers_and_a_danger_button() -> None:
    t = tracker("زنم حامله است و درد دارد", "services_health", language="fa", emergency_score=0.3,
                ranking=[("services_health", 0.6), ("emergency_medical", 0.25), ("emergency_violence", 0.05)])
    messages, meta, _ = run(ActionAnswerTopic(), t)
    assert meta["topic"] == "services.health" and not meta["escalated"]
    last = messages[-1]
    assert "122" in plain_text(last["text"]) and "124" in plain_text(last["text"]) and "خطر" in plain_text(last["text"])
    assert last["buttons"] == [{"title": "🆘 همین حالا در خطرم", "payload": "/emergency_medical"}]


def test_an_ordinary_question_gets_no_danger_button() -> None:
    messages, _, _ = run(ActionAnswerTopic(), tracker("how to apply for asylum", "asylum_apply", language="en", emergency_score=0.05))
    assert all(b["payload"] != "/emergency_medical" and not b["payload"].startswith("/emergency_")
               for m in messages for b in m["buttons"])
    assert not any("122" in plain_text(m["text"]) for m in messages[1:])
