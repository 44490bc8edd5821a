"""Conversations end to end through the Rasa server and the action server, in every language.

Each test is what a person would see: the topic of the answer, the language of the reply, the buttons.
"""

from __future__ import annotations

import pytest

from rahnama_core.render import visible
from rahnama_core.content import ContentStore
from rahnama_core.language import LanguageDetector

CONTENT = ContentStore()

QUESTIONS = {
    "ar": [("كيف اطلب اللجوء في البوسنة؟", "asylum"), ("بدي ارجع على بلدي، كيف؟", "return"), ("وين الكامب في سراييفو", "services")],
    "fa": [("چطور درخواست پناهندگی بدم؟", "asylum"), ("میخواهم به افغانستان برگردم", "return"), ("اجازه کار چطور بگیرم", "pathways")],
    "ps": [("زه غواړم بېرته خپل کور ته لاړ شم", "return"), ("دلته د پناه غوښتنه څنګه وکړم؟", "asylum"), ("ډاکټر ته اړتیا لرم", "services")],
    "ur": [("مجھے واپس پاکستان جانا ہے", "return"), ("پناہ کی درخواست کیسے دوں؟", "asylum"), ("کام کا پرمٹ کیسے ملے گا", "pathways")],
    "fr": [("comment demander l'asile en Bosnie ?", "asylum"), ("je veux rentrer dans mon pays", "return"), ("je cherche un médecin", "services")],
    "en": [("how do I apply for asylum here?", "asylum"), ("I want to go back home", "return"), ("my family is in Germany, can they join me", "pathways")],
}


def reply_language(detector: LanguageDetector, texts: list[str]) -> str:
    return detector.detect(" ".join(visible(t) for t in texts)).language


@pytest.mark.parametrize("language", sorted(QUESTIONS))
def test_questions_are_answered_in_the_users_language(conversation, detector, language: str) -> None:
    for text, family in QUESTIONS[language]:
        reply = conversation.say(text)
        assert reply.meta["topic"].split(".")[0] == family, text
        assert reply.meta["language"] == language
        assert reply_language(detector, [r["text"] for r in reply.replies]) == language
        assert any(b["payload"] == "/human_request" for r in reply.replies for b in r["buttons"])


@pytest.mark.parametrize("language,text", [("ps", "za ghwaram kor ta lar sham"), ("ur", "mujhe wapas jana hai"),
                                           ("fa", "mikham bargardam afghanistan"), ("ar", "bghit nrje3 l bladi")])
def test_latin_letters_are_answered_in_the_native_script(conversation, detector, language: str, text: str) -> None:
    reply = conversation.say(text)
    assert reply.meta["language"] == language
    assert reply.meta["topic"] == "return.avrr"
    assert reply_language(detector, [r["text"] for r in reply.replies]) == language


def test_the_language_sticks_for_ok_and_merci(conversation) -> None:
    assert conversation.say("زه غواړم بېرته خپل کور ته لاړ شم").meta["language"] == "ps"
    for text in ["ok", "merci", "👍", "12"]:
        assert conversation.say(text).meta["language"] == "ps", text


def test_a_clear_message_in_another_language_switches(conversation) -> None:
    assert conversation.say("مجھے واپس پاکستان جانا ہے").meta["language"] == "ur"
    assert conversation.say("how can I get a work permit in Bosnia?").meta["language"] == "en"


def test_the_user_can_ask_for_a_language(conversation) -> None:
    conversation.say("hello")
    reply = conversation.say("pashto please")
    assert reply.meta["language"] == "ps" and reply.meta["topic"] == "language.switch"
    assert conversation.say("ok").meta["language"] == "ps"


def test_greeting_explains_the_bot_and_shows_the_menu(conversation) -> None:
    reply = conversation.say("/start")
    text = " ".join(visible(r["text"]) for r in reply.replies)
    assert "not a lawyer" in text and "/forget" in text
    payloads = [b["payload"] for r in reply.replies for b in r["buttons"]]
    assert '/show_family{"family":"asylum"}' in payloads and "/human_request" in payloads


def test_menu_buttons_lead_to_an_answer(conversation) -> None:
    conversation.say("سلام", telegram_language_code="fa")
    topics = conversation.press('/show_family{"family":"return"}')
    payloads = [b["payload"] for r in topics.replies for b in r["buttons"]]
    assert "/return_avrr" in payloads
    answer = conversation.press("/return_avrr")
    assert answer.meta["topic"] == "return.avrr" and answer.meta["language"] == "fa"


def test_asking_for_a_person_escalates(conversation) -> None:
    reply = conversation.say("I want to talk to a real person")
    assert reply.meta["topic"] == "human.request"
    assert reply.meta["escalated"] is True and reply.meta["priority"] == "normal"


@pytest.mark.parametrize("text,key", [("my little brother is lost alone at the border", "emergency.child_alone"),
                                      ("ز ه غواړم ځان ووژنم", "emergency.self_harm")])
def test_emergencies_are_urgent(conversation, text: str, key: str) -> None:
    reply = conversation.say(text)
    assert reply.meta["priority"] == "urgent" and reply.meta["escalated"] is True
    assert reply.meta["topic"].startswith("emergency.")
    assert "124" in " ".join(visible(r["text"]) for r in reply.replies) or "122" in " ".join(visible(r["text"]) for r in reply.replies)


@pytest.mark.parametrize("text,language", [
    ("the farmer keeps all our phones and papers, we work since march and he pays nothing, says we owe him", "en"),
    ("ماشومه مې له سهار راهیسې نه ده پیدا، په کمپ کې ګرځم", "ps"),
    ("mera dost pul se koodne ki baat kar raha hai abhi", "ur"),
])
def test_an_emergency_told_without_alarm_words_is_urgent(conversation, text: str, language: str) -> None:
    reply = conversation.say(text)
    assert reply.meta["priority"] == "urgent" and reply.meta["topic"].startswith("emergency.")
    assert reply.meta["language"] == language


@pytest.mark.parametrize("text", ["police beat me at the border last year, can i complain now?",
                                  "اگر یه روز بچه‌ام گم بشه به کی زنگ بزنم؟",
                                  "je me déconnecte, merci beaucoup"])
def test_danger_words_about_the_past_or_a_hypothetical_are_not_an_emergency(conversation, text: str) -> None:
    reply = conversation.say(text)
    assert reply.meta["priority"] != "urgent" and not reply.meta["topic"].startswith("emergency.")


@pytest.mark.parametrize("text", ["<i>unclosed", "i zere blorfing", "i qutro lozeosven"])
def test_words_the_bot_has_never_seen_are_not_an_emergency_but_get_the_safety_net(conversation, text: str) -> None:
    reply = conversation.say(text, telegram_language_code="en")
    assert reply.meta["priority"] != "urgent" and not (reply.meta["topic"] or "").startswith("emergency.")
    buttons = [b["payload"] for r in reply.replies for b in r.get("buttons") or []]
    assert any(p.startswith("/emergency_") for p in buttons)  # one tap to urgent help all the same


def test_the_danger_button_opens_an_urgent_case(conversation) -> None:
    conversation.say("زنم حامله است، کجا می‌تونه زایمان کنه؟")
    reply = conversation.press("/emergency_medical")
    assert reply.meta["priority"] == "urgent" and reply.meta["topic"] == "emergency.medical"
    assert reply.meta["language"] == "fa" and "124" in " ".join(visible(r["text"]) for r in reply.replies)


@pytest.mark.parametrize("text", ["", "\u200b\u200f", "x" * 5000, "<b>hi</b><script>alert(1)</script>", "a\x00b",
                                  "/weather", '/emergency_medical{"a":"b"}', "😀😀😀"])
def test_bad_input_gets_a_polite_reply_and_nothing_is_echoed_as_markup(conversation, text: str) -> None:
    reply = conversation.say(text, telegram_language_code="ur")
    assert reply.replies and all(r["text"].strip() for r in reply.replies)
    for r in reply.replies:
        assert "<script" not in r["text"] and "alert(1)" not in r["text"]


def test_a_sticker_is_answered_in_the_conversation_language(conversation) -> None:
    conversation.say("مجھے واپس پاکستان جانا ہے")
    reply = conversation.press('/bad_input{"kind":"sticker"}')
    assert reply.meta["language"] == "ur"
    assert visible(reply.replies[0]["text"]) == CONTENT.ui("ur", "unsupported_media")


def test_two_misunderstood_messages_offer_a_counsellor(conversation) -> None:
    conversation.say("je veux rentrer dans mon pays")
    first = conversation.press("/nlu_fallback")
    assert first.meta["language"] == "fr" and first.replies[0]["buttons"][0]["payload"].startswith("/show_family")
    second = conversation.press("/nlu_fallback")
    assert visible(second.replies[0]["text"]) == CONTENT.ui("fr", "fallback_again")
    assert second.replies[0]["buttons"][0]["payload"] == "/human_request"
    answered = conversation.say("je veux rentrer dans mon pays")
    assert answered.meta["topic"] == "return.avrr"


def test_help_says_what_is_stored_and_how_to_erase_it(conversation) -> None:
    conversation.say("مجھے واپس پاکستان جانا ہے")
    reply = conversation.say("/help")
    text = visible(reply.replies[0]["text"])
    assert reply.meta["language"] == "ur"
    assert "/forget" in text and "30" in text


@pytest.mark.parametrize("text,language,country", [("bghit nrje3 l lmaghrib", "ar", "المغرب"),
                                                   ("میخواهم به افغانستان برگردم", "fa", "افغانستان"),
                                                   ("I want to go back to Pakistan", "en", "Pakistan")])
def test_a_return_answer_names_the_country_the_person_names(conversation, text: str, language: str, country: str) -> None:
    reply = conversation.say(text)
    assert reply.meta["topic"].startswith("return.") and reply.meta["language"] == language
    assert visible(reply.replies[0]["text"]).startswith(country)
