"""The fake Telegram Bot API, driven by the real python-telegram-bot: every test checks what the fake recorded or
what the library raised, so the fake stays true to what Telegram does for the calls the gateway makes."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import telegram
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, EndPointNotFound, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from rahnama_core.fake_bot_api import MESSAGE_KINDS, FakeBotAPI, parse_html, utf16_len

USER = 4242
FORUM = -1001234567890


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeBotAPI) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as client:
        yield client


def seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data)] for text, data in buttons])


# --- getMe, tokens, methods ------------------------------------------------------------------------------------


async def test_get_me_and_request_counts(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123, "rahnama_test_bot", True)
    assert bot.username == "rahnama_test_bot"
    assert fake.requests["getMe"] == 2  # Bot.initialize() and the call above


async def test_wrong_token_unknown_method_and_case_insensitive_names(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    stranger = telegram.Bot("999:WRONG", base_url=fake.base_url)
    with pytest.raises(InvalidToken, match="rejected by the server"):
        await stranger.initialize()  # calls getMe
    await stranger.shutdown()
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTeleportation", api_kwargs={"chat_id": 1})
    async with httpx.AsyncClient() as http:
        wrong = await http.post(f"{fake.base_url}999:WRONG/getMe")
        shouting = await http.post(f"{fake.base_url}{fake.token}/GETME")
        unknown = await http.post(f"{fake.base_url}{fake.token}/sendTeleportation")
    assert (wrong.status_code, wrong.json()) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    assert shouting.status_code == 200 and shouting.json()["result"]["username"] == "rahnama_test_bot"
    assert (unknown.status_code, unknown.json()) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert fake.requests["getMe"] == 2  # our initialize() and GETME; calls with a wrong token are not counted


# --- getUpdates ------------------------------------------------------------------------------------------------


async def test_updates_are_redelivered_until_confirmed_and_never_after(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    first = fake.user_sends(USER, "salam")
    second = fake.user_sends(USER, "/start")
    assert second["update_id"] == first["update_id"] + 1

    got = await bot.get_updates()
    again = await bot.get_updates()  # not confirmed: the same two again
    assert [u.update_id for u in got] == [u.update_id for u in again] == [first["update_id"], second["update_id"]]
    assert got[0].message.text == "salam" and got[0].effective_chat.id == USER

    only_second = await bot.get_updates(offset=first["update_id"] + 1)  # confirms the first
    assert [u.update_id for u in only_second] == [second["update_id"]]
    assert await bot.get_updates(offset=second["update_id"] + 1) == ()
    assert await bot.get_updates(offset=first["update_id"]) == ()  # confirmed updates are gone for good
    third = fake.user_sends(USER, "bye")
    assert [u.update_id for u in await bot.get_updates()] == [third["update_id"]]
    limited = fake.user_sends(USER, "more")
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [third["update_id"]]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == [limited["update_id"]]  # the last one only
    assert [u["update_id"] for u in fake.pending_updates()] == [limited["update_id"]]


async def test_long_poll_wakes_up_when_a_user_writes(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    start = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()  # nothing: waits the whole timeout
    assert 0.9 <= time.monotonic() - start < 2

    threading.Timer(0.3, fake.user_sends, args=(USER, "are you there?")).start()
    start = time.monotonic()
    updates = await bot.get_updates(timeout=2)
    elapsed = time.monotonic() - start
    assert 0.25 <= elapsed < 1.5
    assert [u.message.text for u in updates] == ["are you there?"]


async def test_second_poller_and_webhook_conflict(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    async with telegram.Bot(fake.token, base_url=fake.base_url) as second_instance:
        waiting = asyncio.create_task(second_instance.get_updates(timeout=5))
        await asyncio.sleep(0.2)
        assert await bot.get_updates() == ()  # a second poller ends the first one, as on Telegram
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await waiting

    assert await bot.set_webhook("https://rahnama.example.org/telegram", secret_token="s3cret_-")
    fake.user_sends(USER, "hello")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == ("https://rahnama.example.org/telegram", 1)
    assert fake.webhook["secret_token"] == "s3cret_-"
    with pytest.raises(BadRequest, match="(?i)https url must be provided"):
        await bot.set_webhook("http://rahnama.example.org/telegram")

    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == "" and fake.webhook is None
    assert await bot.get_updates() == () and fake.pending_updates() == []


async def test_webhook_delivery_to_a_local_server(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    received: list[tuple[str | None, dict]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers.get("X-Telegram-Bot-Api-Secret-Token"), json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        await bot.set_webhook(f"http://127.0.0.1:{server.server_address[1]}/hook", secret_token="abc")
        update = fake.user_sends(USER, "via webhook")
        for _ in range(200):
            if received:
                break
            await asyncio.sleep(0.01)
        assert received == [("abc", update)]
        assert (await bot.get_webhook_info()).pending_update_count == 0
    finally:
        server.shutdown()
        server.server_close()


# --- what people send ------------------------------------------------------------------------------------------


async def test_commands_get_entities_that_command_handler_accepts(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    async def noop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        return None

    start = CommandHandler("start", noop)
    private = Update.de_json(fake.user_sends(USER, "/start"), bot)
    addressed = Update.de_json(fake.user_sends(USER, "/start@rahnama_test_bot payload"), bot)
    other_bot = Update.de_json(fake.user_sends(7, "/start@other_bot", chat_id=-100555, chat_type="supergroup"), bot)
    plain = Update.de_json(fake.user_sends(USER, "start please"), bot)

    assert private.message.entities[0].to_dict() == {"type": "bot_command", "offset": 0, "length": 6}
    assert addressed.message.entities[0].length == len("/start@rahnama_test_bot")
    assert start.check_update(private) and start.check_update(addressed)
    assert not start.check_update(other_bot) and not start.check_update(plain)
    assert other_bot.effective_chat.type == "supergroup" and other_bot.effective_user.id == 7


async def test_every_kind_of_message_parses(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    for kind in MESSAGE_KINDS:
        message = Update.de_json(fake.user_sends(USER, "a caption" if kind != "text" else "hi", kind=kind), bot).message
        assert getattr(message, kind), kind
        assert message.effective_attachment or message.text
    photo = fake.user_sends(USER, kind="photo")["message"]["photo"]
    assert [p["width"] for p in photo] == [90, 320, 800] and len({p["file_id"] for p in photo}) == 3
    voice = Update.de_json(fake.user_sends(USER, kind="voice"), bot).message.voice
    assert voice.mime_type == "audio/ogg" and voice.file_unique_id


async def test_edits_and_replies_from_people(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    original = fake.user_sends(USER, "first")["message"]
    reply = Update.de_json(fake.user_sends(USER, "second", reply_to_message_id=original["message_id"]), bot)
    edited = Update.de_json(fake.user_edits(USER, original["message_id"], "first, corrected"), bot)
    assert reply.message.reply_to_message.text == "first"
    assert edited.edited_message.text == "first, corrected" and edited.edited_message.edit_date is not None
    with pytest.raises(ValueError):
        fake.user_edits(USER + 1, original["message_id"], "not mine")


# --- sendMessage -----------------------------------------------------------------------------------------------


async def test_send_message_with_valid_html(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    fake.user_sends(USER, "/start")
    html = (
        '<b>پناهندگی</b> &amp; <i>asylum</i> <a href="https://example.org/a?x=1&amp;y=2">link</a> '
        '<tg-spoiler>s</tg-spoiler> <span class="tg-spoiler">t</span> <pre><code class="language-python">x</code>'
        "</pre> <blockquote expandable>q</blockquote> &lt;3 &#128512; &quot;"
    )
    message = await bot.send_message(USER, html, parse_mode="HTML", reply_markup=keyboard(("Yes", "yes")))
    assert message.text == 'پناهندگی & asylum link s t x q <3 😀 "'
    assert [e.type for e in message.entities] == [
        "bold", "italic", "text_link", "spoiler", "spoiler", "pre", "expandable_blockquote"
    ]
    assert message.entities[2].url == "https://example.org/a?x=1&y=2"
    assert message.entities[5].language == "python"
    assert message.from_user.username == "rahnama_test_bot" and message.chat.id == USER
    assert message.message_id == 2  # the person's /start was 1
    assert message.reply_markup.inline_keyboard[0][0].callback_data == "yes"

    second = await bot.send_message(USER, "plain")
    assert second.message_id == 3
    [record] = fake.sent(USER, "sendMessage")[:1]
    assert record["text"] == html and record["parse_mode"] == "HTML" and record["message_id"] == 2
    assert record["reply_markup"] == {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    assert record["plain_text"] == message.text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<script>x</script>", 'Unsupported start tag "script" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("fish & chips", 'Unescaped "&" at byte offset 5'),
        ("2 > 1", 'Unescaped ">" at byte offset 2'),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"'),
        ('<a href=ab"c">x</a>', "Unexpected end of name token at byte offset 8"),
    ],
)
async def test_html_telegram_refuses(fake: FakeBotAPI, bot: telegram.Bot, text: str, reason: str) -> None:
    fake.register_user(USER)
    with pytest.raises(BadRequest) as refused:
        await bot.send_message(USER, text, parse_mode="HTML")
    assert refused.value.message.lower().startswith("can't parse entities: ")
    assert fake.errors("sendMessage")[-1]["description"].startswith(f"Bad Request: can't parse entities: {reason}")
    assert fake.sent() == []


async def test_length_is_counted_in_utf16_after_entity_parsing(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    fake.register_user(USER)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "a" * 4097)
    arabic = await bot.send_message(USER, "<b>" + "ب" * 4000 + "</b><i>" + "ة" * 96 + "</i>", parse_mode="HTML")
    assert utf16_len(arabic.text) == 4096
    escaped = await bot.send_message(USER, "&amp;" * 4096, parse_mode="HTML")  # 20480 characters sent, 4096 kept
    assert escaped.text == "&" * 4096
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "😀" * 2049)  # 4098 UTF-16 code units
    assert len((await bot.send_message(USER, "😀" * 2048)).text) == 2048
    assert [r["method"] for r in fake.sent(USER)] == ["sendMessage"] * 3
    assert [e["description"] for e in fake.errors()] == ["Bad Request: message is too long"] * 2


@pytest.mark.parametrize("text", ["", "   \n ", "<b></b>", "<b> </b>\n"])
async def test_empty_text_is_refused(fake: FakeBotAPI, bot: telegram.Bot, text: str) -> None:
    fake.register_user(USER)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, text, parse_mode="HTML")
    assert fake.sent() == [] and fake.errors()[-1]["description"] == "Bad Request: message text is empty"


async def test_inline_keyboard_is_validated(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    fake.register_user(USER)
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(USER, "x", reply_markup=keyboard(("Go", "x" * 65)))
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(USER, "x", reply_markup=keyboard(("Go", "ب" * 33)))  # 66 bytes
    with pytest.raises(BadRequest, match="(?i)text buttons are unallowed in the inline keyboard"):
        await bot.send_message(USER, "x", reply_markup=keyboard(("", "ok")))
    async with httpx.AsyncClient() as http:  # a button without an action (PTB would not build one)
        bare = {"chat_id": USER, "text": "x", "reply_markup": json.dumps({"inline_keyboard": [[{"text": "a"}]]})}
        refused = await http.post(f"{fake.base_url}{fake.token}/sendMessage", data=bare)
    assert refused.status_code == 400
    assert "text buttons are unallowed in the inline keyboard" in refused.json()["description"].lower()
    fine = await bot.send_message(USER, "x", reply_markup=keyboard(("Go", "ب" * 32), ("Also", "x" * 64)))
    assert [r["message_id"] for r in fake.sent(USER)] == [fine.message_id]
    assert [e["description"] for e in fake.errors()][:2] == ["Bad Request: BUTTON_DATA_INVALID"] * 2


async def test_chat_not_found_and_blocked_user(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(USER, "nobody wrote to the bot from this chat")
    fake.user_sends(USER, "hi")
    await bot.send_message(USER, "hello")
    blocked = fake.block(USER)
    assert blocked["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "are you still there?")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(USER, "typing")
    fake.user_sends(USER, "/start")  # writing again unblocks, as on Telegram
    await bot.send_message(USER, "welcome back")
    assert [r["text"] for r in fake.sent(USER)] == ["hello", "welcome back"]
    assert [e["error_code"] for e in fake.errors()] == [400, 403, 403]


async def test_replies_threads_and_link_previews(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    question = fake.user_sends(USER, "question")["message"]
    answer = await bot.send_message(
        USER, "answer https://example.org", reply_to_message_id=question["message_id"], disable_web_page_preview=True
    )
    assert answer.reply_to_message.text == "question"
    assert answer.link_preview_options.is_disabled is True
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(USER, "x", reply_to_message_id=999)
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(USER, "x", message_thread_id=999)
    assert fake.sent(USER)[0]["reply_to_message_id"] == question["message_id"]


# --- rate limits and failures ----------------------------------------------------------------------------------


async def test_flood_control_and_injected_failures(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    fake.register_user(USER)
    fake.register_user(USER + 1)
    await bot.send_message(USER, "one")
    await bot.send_message(USER, "two")  # flood control is off by default

    fake.flood_control(per_chat_per_second=1, global_per_second=30)
    await bot.send_message(USER, "three")
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(USER, "four")
    assert seconds(flood.value.retry_after) == 1
    await bot.send_message(USER + 1, "another chat is fine")
    fake.flood_control(enabled=False)
    await bot.send_message(USER, "five")

    fake.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as injected:
        await bot.send_message(USER, "six")
    assert seconds(injected.value.retry_after) == 3
    fake.fail_next("sendmessage", status=502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(USER, "seven")
    fake.fail_next("*", status=500)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.get_me()
    await bot.send_message(USER, "eight")

    assert [r["text"] for r in fake.sent()] == ["one", "two", "three", "another chat is fine", "five", "eight"]
    assert [e["description"] for e in fake.errors()] == [
        "Too Many Requests: retry after 1",
        "Too Many Requests: retry after 3",
        "Bad Gateway",
        "Bad Gateway",
        "Internal Server Error",
    ]
    assert fake.requests["sendMessage"] == 10


# --- commands, callbacks, edits, deletions ---------------------------------------------------------------------


async def test_commands_are_stored_per_scope_and_language(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    fake.register_user(USER)
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("human", "Talk to a person")])
    await bot.set_my_commands([BotCommand("start", "ابدأ")], language_code="ar")
    await bot.set_my_commands([BotCommand("menu", "Topics")], scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands([BotCommand("close", "Close")], scope=BotCommandScopeChat(USER), language_code="fa")

    assert [c.command for c in await bot.get_my_commands()] == ["start", "human"]
    assert [c.description for c in await bot.get_my_commands(language_code="ar")] == ["ابدأ"]
    assert await bot.get_my_commands(language_code="fr") == ()  # no fallback, like Telegram
    assert fake.commands(language_code="ar") == [{"command": "start", "description": "ابدأ"}]
    assert fake.commands("all_private_chats") == [{"command": "menu", "description": "Topics"}]
    assert fake.commands(BotCommandScopeChat(USER), "fa") == [{"command": "close", "description": "Close"}]

    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start-Now", "x")])
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.set_my_commands([BotCommand("x", "x")], scope=BotCommandScopeChat(999))
    await bot.delete_my_commands(language_code="ar")
    assert fake.commands(language_code="ar") == [] and len(fake.commands()) == 2


async def test_button_press_answer_and_edits(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    fake.register_user(USER)
    menu = await bot.send_message(USER, "Choose", reply_markup=keyboard(("Asylum", "topic:asylum")))
    update = Update.de_json(fake.user_presses(USER, menu, "topic:asylum"), bot)
    query = update.callback_query
    assert (query.data, query.message.message_id, query.from_user.id) == ("topic:asylum", menu.message_id, USER)
    assert await query.answer("Loading")
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await query.answer()
    assert fake.callback_answers()[0]["text"] == "Loading"

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Choose", USER, menu.message_id, reply_markup=menu.reply_markup)
    edited = await bot.edit_message_text("<b>Asylum</b>", USER, menu.message_id, parse_mode="HTML")
    assert edited.text == "Asylum" and edited.reply_markup is None  # editing without a keyboard removes it
    with pytest.raises(ValueError):
        fake.user_presses(USER, menu, "topic:asylum")  # the button is gone
    await bot.edit_message_reply_markup(USER, menu.message_id, reply_markup=keyboard(("Back", "back")))
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(USER, menu.message_id, reply_markup=keyboard(("Back", "back")))
    mine = fake.user_sends(USER, "mine")["message"]
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", USER, mine["message_id"])
    assert [r["method"] for r in fake.sent(USER)] == ["sendMessage", "editMessageText", "editMessageReplyMarkup"]
    assert fake.messages(USER)[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "back"


async def test_delete_message(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    incoming = fake.user_sends(USER, "my address is ...")["message"]
    sent = await bot.send_message(USER, "noted")
    assert await bot.delete_message(USER, sent.message_id)
    assert await bot.delete_message(USER, incoming["message_id"])  # bots may delete incoming private messages
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, 12345)
    fake.register_group(-4001, "no rights", bot_is_admin=False)
    other = fake.user_sends(7, "hello group", chat_id=-4001, chat_type="group")["message"]
    with pytest.raises(BadRequest, match="Message can't be deleted"):
        await bot.delete_message(-4001, other["message_id"])
    assert [d["message_id"] for d in fake.deleted(USER)] == [sent.message_id, incoming["message_id"]]
    assert fake.messages(USER) == []


async def test_chat_actions_chats_and_members(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    fake.user_sends(USER, "hi", first_name="Amina", username="amina")
    assert await bot.send_chat_action(USER, "typing")
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(USER, "dancing")
    chat = await bot.get_chat(USER)
    member = await bot.get_chat_member(USER, USER)
    assert (chat.type, chat.first_name, chat.username) == ("private", "Amina", "amina")
    assert member.status == "member" and member.user.id == USER
    assert [a["action"] for a in fake.chat_actions(USER)] == ["typing"]


# --- forums, copies, media -------------------------------------------------------------------------------------


async def test_copy_message_into_a_forum_topic(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    fake.register_group(FORUM, "Counsellors", is_forum=True)
    question = fake.user_sends(USER, "I need a lawyer")["message"]
    voice = fake.user_sends(USER, kind="voice")["message"]

    topic = await bot.create_forum_topic(FORUM, "Case 17 · fa · asylum")
    assert topic.message_thread_id > 1 and topic.name == "Case 17 · fa · asylum"
    copied = await bot.copy_message(FORUM, USER, question["message_id"], message_thread_id=topic.message_thread_id)
    copied_voice = await bot.copy_message(
        FORUM, USER, voice["message_id"], message_thread_id=topic.message_thread_id, caption="voice 0:03"
    )
    assert copied_voice.message_id == copied.message_id + 1

    records = fake.sent(FORUM, "copyMessage")
    assert [(r["kind"], r["message_thread_id"], r["from_chat_id"]) for r in records] == [
        ("text", topic.message_thread_id, USER),
        ("voice", topic.message_thread_id, USER),
    ]
    assert records[0]["text"] == "I need a lawyer" and records[1]["caption"] == "voice 0:03"
    assert records[1]["file_id"] == voice["voice"]["file_id"]
    stored = {m["message_id"]: m for m in fake.messages(FORUM)}
    assert stored[copied.message_id]["is_topic_message"] is True
    assert stored[copied.message_id]["message_thread_id"] == topic.message_thread_id
    assert fake.forum_topics(FORUM)[0]["name"] == "Case 17 · fa · asylum"

    await bot.close_forum_topic(FORUM, topic.message_thread_id)
    with pytest.raises(BadRequest, match="(?i)topic_closed"):
        await bot.copy_message(FORUM, USER, question["message_id"], message_thread_id=topic.message_thread_id)
    with pytest.raises(BadRequest, match="(?i)topic_not_modified"):
        await bot.close_forum_topic(FORUM, topic.message_thread_id)
    await bot.reopen_forum_topic(FORUM, topic.message_thread_id)
    await bot.send_message(FORUM, "<b>taken</b>", parse_mode="HTML", message_thread_id=topic.message_thread_id)
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(FORUM, "x", message_thread_id=999)
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(FORUM, USER, 999, message_thread_id=topic.message_thread_id)
    fake.register_group(-2002, "plain group")
    with pytest.raises(BadRequest, match="The chat is not a forum"):
        await bot.create_forum_topic(-2002, "x")
    assert fake.forum_topics(FORUM)[0]["is_closed"] is False


async def test_forward_and_media_by_file_id(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    fake.register_group(FORUM, "Counsellors", is_forum=True)
    photo = fake.user_sends(USER, "my card", kind="photo")["message"]
    sticker = fake.user_sends(USER, kind="sticker")["message"]["sticker"]["file_id"]

    forwarded = await bot.forward_message(FORUM, USER, photo["message_id"])
    assert forwarded.forward_origin.sender_user.id == USER and forwarded.caption == "my card"
    largest = photo["photo"][-1]["file_id"]
    sent_photo = await bot.send_photo(USER, largest, caption="<i>received</i>", parse_mode="HTML")
    assert sent_photo.caption == "received" and sent_photo.photo[-1].file_id == largest
    assert (await bot.send_sticker(USER, sticker)).sticker.file_id == sticker
    document = await bot.send_document(USER, b"%PDF-1.4 fake", filename="guide.pdf")
    assert document.document.mime_type == "application/pdf"
    assert await (await bot.get_file(document.document.file_id)).download_as_bytearray() == bytearray(b"%PDF-1.4 fake")
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_voice(USER, "AwACAgIAAxkBAAInvalid")
    with pytest.raises(BadRequest, match="Type of file mismatch"):
        await bot.send_voice(USER, sticker)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(USER, largest, caption="x" * 1025)
    assert [r["method"] for r in fake.sent()] == ["forwardMessage", "sendPhoto", "sendSticker", "sendDocument"]
    assert fake.sent(USER, "sendPhoto")[0]["caption"] == "<i>received</i>"


# --- waiting, and the real Application -------------------------------------------------------------------------


async def test_wait_for_from_threads_and_async_code(fake: FakeBotAPI, bot: telegram.Bot) -> None:
    fake.register_user(USER)
    waiter = asyncio.create_task(asyncio.to_thread(fake.wait_for, 2, USER, 5))
    await asyncio.sleep(0.05)
    await bot.send_message(USER, "one")
    await bot.send_message(USER, "two")
    assert [r["text"] for r in await waiter] == ["one", "two"]
    found = await fake.wait_for_async(lambda r: r["text"] == "two", chat_id=USER, timeout=1)
    assert [r["message_id"] for r in found] == [2]
    with pytest.raises(TimeoutError):
        fake.wait_for(3, chat_id=USER, timeout=0.1)
    fake.clear()
    assert fake.sent() == [] and fake.requests == {} and len(fake.messages(USER)) == 2


async def test_application_polling_end_to_end(fake: FakeBotAPI) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_html(
            "<b>Salam!</b> Choose a topic:", reply_markup=keyboard(("Asylum", "asylum"))
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(f"You chose {update.callback_query.data}")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await context.bot.send_chat_action(update.effective_chat.id, "typing")
        await update.effective_message.reply_text(update.effective_message.text.upper())

    app = Application.builder().token(fake.token).base_url(fake.base_url).base_file_url(fake.base_file_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        fake.user_sends(USER, "/start")
        [greeting] = await fake.wait_for_async(1, chat_id=USER, timeout=5)
        fake.user_presses(USER, greeting, "asylum")
        fake.user_sends(USER, "hello")
        await fake.wait_for_async(3, chat_id=USER, timeout=5)
        await app.updater.stop()
        await app.stop()

    texts = [(r["method"], r["plain_text"]) for r in fake.sent(USER)]
    assert texts[0] == ("sendMessage", "Salam! Choose a topic:")
    assert sorted(texts[1:]) == [("editMessageText", "You chose asylum"), ("sendMessage", "HELLO")]
    assert fake.sent(USER)[0]["reply_to_message_id"] is None  # PTB quotes only in groups by default
    assert [a["action"] for a in fake.chat_actions(USER)] == ["typing"]
    assert len(fake.callback_answers()) == 1
    assert fake.pending_updates() == []  # the updater confirmed everything on stop
    assert fake.requests["deleteWebhook"] == 1 and fake.errors() == []


def test_html_parser_offsets_are_utf16() -> None:
    text, entities = parse_html("😀 <b>x</b> <i>پ</i>")
    assert text == "😀 x پ"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 1},
        {"type": "italic", "offset": 5, "length": 1},
    ]
    assert parse_html("  <b> x </b>  ") == ("x", [{"type": "bold", "offset": 0, "length": 1}])
    assert parse_html("a & b > c", strict=False) == ("a & b > c", [])
