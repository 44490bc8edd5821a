"""Normalisation, and how user input becomes a safe Rasa message."""

from __future__ import annotations

from rahnama_core.channel import MAX_TEXT, Prepared, is_our_payload, prepare_text
from rahnama_core.text import clean_input, fold


def test_fold_unifies_arabic_and_persian_letter_forms() -> None:
    assert fold("كيف") == fold("کیف")
    assert fold("مـــرحبا") == fold("مرحبا")  # tatweel
    assert fold("مَرْحَبًا") == fold("مرحبا")  # diacritics
    assert fold("۱۲۳") == "123" and fold("١٢٣") == "123"
    assert fold("Réfugié") == "refugie"


def test_fold_keeps_the_persian_zero_width_non_joiner() -> None:
    assert "\u200c" in fold("می\u200cخواهم")


def test_clean_input_removes_control_and_bidi_characters() -> None:
    assert clean_input("a\x00b\u202ec\u200bd\n e") == "a bcd e"


def test_empty_and_invisible_messages_become_bad_input() -> None:
    for text in ["", "   ", "\u200b\u200f", "\x00"]:
        assert prepare_text(text).message == '/bad_input{"kind":"empty"}'


def test_the_bot_api_base_url_works_with_and_without_the_bot_path() -> None:
    from rahnama_core.settings import bot_api_base

    assert bot_api_base("http://127.0.0.1:8081") == "http://127.0.0.1:8081/bot"
    assert bot_api_base("http://127.0.0.1:8081/bot/") == "http://127.0.0.1:8081/bot"
    assert bot_api_base("https://api.telegram.org/bot") == "https://api.telegram.org/bot"


def test_emoji_only_messages_get_the_text_only_reply() -> None:
    assert prepare_text("😀😀 !!").message == '/bad_input{"kind":"emoji"}'
    assert prepare_text("12").message == "12"


def test_typed_payloads_are_never_passed_to_rasa() -> None:
    assert not prepare_text('/emergency_medical{"x":"y"}').message.startswith("/")
    assert prepare_text("/emergency_medical").message == '/bad_input{"kind":"other_bot_command"}'
    assert not prepare_text("/ asylum").message.startswith("/")


def test_commands_map_to_intents() -> None:
    assert prepare_text("/human").message == "/human_request"
    assert prepare_text("/start") == Prepared("/smalltalk_greet", {"start": True})
    assert prepare_text("/topics").message == "/show_family"
    assert prepare_text("/help").message == "/show_help"
    assert prepare_text("/start@rahnama_bot", bot_username="rahnama_bot").message == "/smalltalk_greet"
    assert prepare_text("/start@other_bot", bot_username="rahnama_bot").message == '/bad_input{"kind":"other_bot_command"}'


def test_deep_links_pick_a_language_a_topic_or_both() -> None:
    both = prepare_text("/start ps-return.avrr")
    assert both.message == "/return_avrr" and both.metadata == {"language": "ps"}
    assert prepare_text("/start fa").metadata == {"language": "fa"}
    assert prepare_text("/start return.avrr").message == "/return_avrr"
    assert prepare_text("/start nonsense").message == "/smalltalk_greet"


def test_long_messages_are_cut_and_marked() -> None:
    prepared = prepare_text("word " * 1000)
    assert len(prepared.message) <= MAX_TEXT
    assert prepared.metadata == {"truncated": True}


def test_only_our_payload_shapes_are_accepted_from_buttons() -> None:
    assert is_our_payload('/show_family{"family":"asylum"}')
    assert is_our_payload("/human_request")
    assert not is_our_payload('/x{"a":"b","c":"d"}')
    assert not is_our_payload("hello")


def test_posters_carry_the_deep_link_and_the_invitation_in_each_language(tmp_path) -> None:
    from rahnama_core.content import ContentStore
    from rahnama_core.poster import write_posters

    content = ContentStore()
    pages = {p.stem.split("-")[1]: p.read_text(encoding="utf-8") for p in write_posters("rahnama_bot", tmp_path)}
    assert set(pages) == {"ar", "fa", "ps", "ur", "fr", "en"}
    for language, page in pages.items():
        assert f"https://t.me/rahnama_bot?start={language}" in page
        assert content.ui(language, "poster_invitation").replace("'", "&#x27;") in page
        assert "<svg" in page and ('dir="rtl"' in page) == (language in ("ar", "fa", "ps", "ur"))
