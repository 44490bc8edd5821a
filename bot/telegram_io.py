"""Small helpers for talking to Telegram: keyboards from Rasa buttons, the kind of a message, retries."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from rahnama_core.channel import is_our_payload

SHORT_BUTTON = 16  # buttons with titles up to this length go two to a row
MEDIA_KINDS = ("sticker", "voice", "audio", "photo", "video", "video_note", "animation", "document", "location",
               "contact", "poll", "dice")


def media_kind(message: Message) -> str | None:
    for kind in MEDIA_KINDS:
        if getattr(message, kind, None):
            return kind
    return "media" if message.text is None and message.caption is None else None


def keyboard(buttons: list[dict[str, str]]) -> InlineKeyboardMarkup | None:
    """Rasa buttons as an inline keyboard: two short buttons to a row, long ones alone."""
    usable = [b for b in buttons if b.get("title") and is_our_payload(b.get("payload", ""))]
    if not usable:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    for button in usable:
        key = InlineKeyboardButton(button["title"][:64], callback_data=button["payload"])
        if len(button["title"]) <= SHORT_BUTTON and rows and len(rows[-1]) == 1 and len(rows[-1][0].text) <= SHORT_BUTTON:
            rows[-1].append(key)
        else:
            rows.append([key])
    return InlineKeyboardMarkup(rows)


async def with_retries(call: Any, *args: Any, attempts: int = 4, **kwargs: Any) -> Any:
    """A Bot API call retried on timeouts, 5xx and 429 (after `retry_after`); bad requests are not retried."""
    for attempt in range(attempts):
        try:
            return await call(*args, **kwargs)
        except RetryAfter as error:
            if attempt == attempts - 1:
                raise
            delay = error.retry_after
            await asyncio.sleep(delay.total_seconds() if hasattr(delay, "total_seconds") else float(delay))
        except (TimedOut, NetworkError) as error:
            if isinstance(error, (BadRequest, Forbidden)) or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.3 * 2**attempt)
    return None


