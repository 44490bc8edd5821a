"""The Telegram application: `build_application(settings, ...)` wires the handlers (tests drive it without
polling); `run_bot` runs it with long polling (default) or a webhook (TELEGRAM_WEBHOOK_URL set)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal

from telegram import BotCommand, Update
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.coordination import coordination_for
from bot.gateway import Gateway, RasaUnavailable
from bot.handover import Handover
from bot.queue import CHECK_SECONDS, CaseQueue
from bot.privacy import Pseudonyms, load_key
from rahnama_core.channel import RasaClient
from rahnama_core.content import ContentStore
from rahnama_core.language import LANGUAGES
from rahnama_core.settings import Settings
from storage.db import Database

log = logging.getLogger("rahnama.bot")
COMMANDS = ("start", "topics", "language", "human", "help", "forget")
CASE_BUTTON = re.compile(r'^/(case_take|case_close)\{"case":"(\d+)"\}$')
RETENTION_CHECK_SECONDS = 24 * 3600
POLL_TIMEOUT = 25  # seconds a getUpdates long poll waits


def gateway_of(context: ContextTypes.DEFAULT_TYPE) -> Gateway:
    return context.application.bot_data["gateway"]


async def inbox_guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store every update before handling it; drop redeliveries of updates already answered."""
    gateway = gateway_of(context)
    user = update.effective_user
    chat_key = gateway.pseudonyms.of(user.id) if user else "none"
    if not gateway.inbox.receive(update.update_id, chat_key, update.to_dict()):
        raise ApplicationHandlerStop


async def on_private(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a message of any kind in a private chat: text, commands, media, edits."""
    gateway = gateway_of(context)
    try:
        await gateway.answer(context.bot, update)
    except RasaUnavailable:
        raise
    except Exception:
        gateway.inbox.failed(update.update_id)
        raise


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a tapped button as if its payload had been sent."""
    query = update.callback_query
    with contextlib.suppress(Exception):
        await query.answer()
    gateway = gateway_of(context)
    if query.message is not None and query.message.chat.type == "private":
        await on_private(update, context)
        return
    match = CASE_BUTTON.match(query.data or "")
    if gateway.handover is not None and match and query.message is not None and query.message.chat.id == gateway.handover.group_id:
        await gateway.handover.on_card_button(context.bot, update, match.group(1), int(match.group(2)))
    gateway.inbox.done(update.update_id)


async def on_counsellors(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message in the counsellors' group: a reply, a command or a note on a case (registered counsellors only)."""
    gateway = gateway_of(context)
    try:
        if gateway.handover is not None:
            await gateway.handover.on_group_message(context.bot, update)
    finally:
        gateway.inbox.done(update.update_id)


async def on_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In other groups the bot only says, when addressed, that it answers in private chats."""
    gateway = gateway_of(context)
    message = update.effective_message
    username = (context.bot.username or "").lower()
    addressed = message is not None and (
        (message.text or "").lower().find("@" + username) >= 0
        or (message.reply_to_message is not None and message.reply_to_message.from_user is not None
            and message.reply_to_message.from_user.id == context.bot.id)
        or bool(message.new_chat_members and any(m.id == context.bot.id for m in message.new_chat_members))
    )
    if addressed:
        await gateway.group_notice(context.bot, update)
    gateway.inbox.done(update.update_id)


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Updates the bot has nothing to say to (polls, member changes...) are acknowledged."""
    gateway_of(context).inbox.done(update.update_id)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log failures by kind only: never message text or Telegram ids."""
    if isinstance(context.error, RasaUnavailable):
        return
    log.error("handling an update failed: %s", type(context.error).__name__, exc_info=context.error)


async def register_commands(application: Application) -> None:
    """Commands with descriptions in each language (a Pashto phone shows Pashto descriptions)."""
    content: ContentStore = application.bot_data["gateway"].content
    for language in (None, *LANGUAGES):
        commands = [BotCommand(name, content.ui(language or "en", f"command.{name}")) for name in COMMANDS]
        try:
            await application.bot.set_my_commands(commands, language_code=language)
        except TelegramError as error:  # the menu of commands is a convenience; the bot works without it
            log.warning("could not register the commands (%s): %s", language or "default", type(error).__name__)
            return


def build_application(settings: Settings, rasa_url: str, database: Database | None = None) -> Application:
    """The bot with its handlers; nothing connects until it is started."""
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    database = database or Database(settings.database_url, run_migrations=False)
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .rate_limiter(AIORateLimiter(overall_max_rate=30, overall_time_period=1, max_retries=3))
        .concurrent_updates(64)
        .connect_timeout(10).read_timeout(15).write_timeout(15).pool_timeout(10)
        .connection_pool_size(64)
        .get_updates_read_timeout(POLL_TIMEOUT + 10)
    )
    if not settings.telegram_webhook_url:
        builder = builder.updater(None)  # long polling is ours (poll): it stores updates before confirming them
    application = builder.build()
    pseudonyms = Pseudonyms(load_key(settings.pseudonym_key, settings.var_dir))
    content = ContentStore()
    handover = Handover(database, content, settings.counsellor_chat_id) if settings.counsellor_chat_id else None
    application.bot_data["gateway"] = Gateway(RasaClient(rasa_url), database, pseudonyms, content,
                                              tracker_url=settings.tracker_url, handover=handover,
                                              counsellor_hours=settings.counsellor_hours,
                                              coordination=coordination_for(settings.redis_url))

    private = filters.ChatType.PRIVATE
    other_groups = filters.ChatType.GROUPS
    if settings.counsellor_chat_id:
        other_groups = other_groups & ~filters.Chat(settings.counsellor_chat_id)
        application.add_handler(MessageHandler(filters.Chat(settings.counsellor_chat_id) & filters.UpdateType.MESSAGE,
                                               on_counsellors))
    application.add_handler(TypeHandler(Update, inbox_guard), group=-1)
    application.add_handler(MessageHandler(private & (filters.UpdateType.MESSAGES), on_private))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(other_groups, on_group))
    application.add_handler(TypeHandler(Update, on_other))  # last in its group: only what nothing above took
    application.add_error_handler(on_error)
    return application


async def retry_pending(application: Application, stop: asyncio.Event) -> None:
    """Re-handle updates that wait in the inbox (Rasa was unavailable) until they are answered."""
    gateway: Gateway = application.bot_data["gateway"]
    gateway.inbox.release_all()  # updates left pending by a previous process are due now
    while not stop.is_set():
        for update_id, payload in gateway.inbox.due():
            update = Update.de_json(payload, application.bot)
            if update is not None:
                await application.process_update(update)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


async def purge_daily(application: Application, settings: Settings, stop: asyncio.Event) -> None:
    """Retention: conversations inactive for RAHNAMA_RETENTION_DAYS are deleted, once a day."""
    from storage.erasure import purge_old

    gateway: Gateway = application.bot_data["gateway"]
    while not stop.is_set():
        removed = purge_old(gateway.database, settings.tracker_url, settings.retention_days,
                            settings.case_retention_days)
        gateway.inbox.prune()
        log.info("retention: %d inactive conversations deleted", removed)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=RETENTION_CHECK_SECONDS)


async def watch_cases(application: Application, settings: Settings, stop: asyncio.Event) -> None:
    """Keep the counsellors' queue up to date and remind them of cases nobody has answered in time."""
    gateway: Gateway = application.bot_data["gateway"]
    if gateway.handover is None:
        return
    queue = CaseQueue(gateway.handover, settings.counsellor_hours)
    while not stop.is_set():
        try:
            async with gateway.coordination.job_lock("queue"):  # with several replicas, one at a time
                await queue.remind(application.bot)
                await queue.refresh(application.bot)
        except TelegramError as error:  # Telegram unavailable: try again at the next check
            log.warning("could not update the counsellors' queue: %s", type(error).__name__)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=CHECK_SECONDS)


async def poll(application: Application, stop: asyncio.Event) -> None:
    """Long polling that stores each update before confirming it to Telegram (the next offset)."""
    gateway: Gateway = application.bot_data["gateway"]
    offset = gateway.inbox.next_offset() or None
    delay = 1.0
    while not stop.is_set():
        try:
            updates = await application.bot.get_updates(
                offset=offset, timeout=POLL_TIMEOUT, allowed_updates=Update.ALL_TYPES
            )
            delay = 1.0
        except RetryAfter as error:
            await asyncio.sleep(float(error.retry_after if isinstance(error.retry_after, (int, float)) else 1))
            continue
        except (TimedOut, NetworkError):
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
            continue
        if not updates:
            await asyncio.sleep(0.05)  # a Bot API that does not hold long polls must not be hammered
        for update in updates:
            user = update.effective_user
            gateway.inbox.receive(update.update_id, gateway.pseudonyms.of(user.id) if user else "none", update.to_dict())
            offset = update.update_id + 1
            application.create_task(application.process_update(update))


async def serve_polling(application: Application, stop: asyncio.Event, settings: Settings) -> None:
    await application.initialize()
    try:
        await application.bot.delete_webhook(drop_pending_updates=False)
    except TelegramError as error:  # polling still works; Telegram refuses getUpdates only while a webhook is set
        log.warning("could not remove a webhook: %s", type(error).__name__)
    await register_commands(application)
    await application.start()
    tasks = [asyncio.create_task(poll(application, stop)), asyncio.create_task(retry_pending(application, stop)),
             asyncio.create_task(purge_daily(application, settings, stop)),
             asyncio.create_task(watch_cases(application, settings, stop))]
    log.info("the Telegram gateway is polling")
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await application.stop()
    await application.shutdown()
    await close_gateway(application)


async def close_gateway(application: Application) -> None:
    """Close the gateway's shared connections (Redis, with several replicas)."""
    await application.bot_data["gateway"].coordination.close()


def run_bot(settings: Settings, rasa_url: str) -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry the bot token in URLs
    if not settings.counsellor_chat_id:
        log.warning("COUNSELLOR_CHAT_ID is not set: requests for a counsellor and emergencies reach no person")
    application = build_application(settings, rasa_url)
    if settings.telegram_webhook_url:
        return run_webhook(application, settings)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await serve_polling(application, stop, settings)

    asyncio.run(main())
    return 0


def run_webhook(application: Application, settings: Settings) -> int:
    """Webhook mode: Telegram's requests must carry TELEGRAM_WEBHOOK_SECRET in their secret-token header."""
    if not settings.telegram_webhook_secret:
        raise ValueError("TELEGRAM_WEBHOOK_SECRET must be set with TELEGRAM_WEBHOOK_URL")
    from urllib.parse import urlparse

    stop = asyncio.Event()

    async def post_init(app: Application) -> None:
        await register_commands(app)
        app.create_task(retry_pending(app, stop))
        app.create_task(purge_daily(app, settings, stop))
        app.create_task(watch_cases(app, settings, stop))

    application.post_init = post_init
    application.post_shutdown = close_gateway
    host, _, port = settings.webhook_listen.partition(":")
    application.run_webhook(
        listen=host, port=int(port or 8080), url_path=urlparse(settings.telegram_webhook_url).path.lstrip("/"),
        webhook_url=settings.telegram_webhook_url, secret_token=settings.telegram_webhook_secret,
        allowed_updates=Update.ALL_TYPES, stop_signals=(signal.SIGINT, signal.SIGTERM),
    )
    stop.set()
    return 0
