"""A strict fake of the Telegram Bot API, for tests.

It is an HTTP server on 127.0.0.1 (a free port) that speaks the Bot API the way python-telegram-bot uses it:
``POST {base_url}{token}/{method}`` with form fields (strings as they are, every other value JSON-encoded),
multipart bodies for uploads, JSON bodies and query strings are read as well. Answers have Telegram's shapes
(``{"ok": true, "result": ...}`` / ``{"ok": false, "error_code": ..., "description": ...}``) and Telegram's
error texts, so the real library raises the same exceptions it would raise against Telegram::

    with FakeBotAPI() as fake:
        bot = telegram.Bot(fake.token, base_url=fake.base_url)
        fake.user_sends(42, "/start")           # a person writes to the bot
        ...                                     # the bot polls getUpdates and answers
        fake.wait_for(1, chat_id=42)            # what the bot sent, as dicts

It is stricter than most fakes on purpose: HTML is validated like Telegram does (and, following the Bot API
documentation, a bare ``&`` or ``>`` is refused too; ``strict_html=False`` accepts them as Telegram's parser
does), lengths are counted in UTF-16 code units after entity parsing, inline keyboards, chats, topics, files,
blocked users and replies are checked, and ``getUpdates`` follows Telegram's offset and long-polling rules.

It never contacts the network: files sent by URL are not fetched, and webhooks are delivered only to loopback
addresses (plain ``http`` is accepted there; anywhere else Telegram's rules apply and updates stay pending).
It never logs anything, in particular no message text. Everything is kept in memory.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import email.parser
import email.policy
import hashlib
import ipaddress
import itertools
import json
import math
import mimetypes
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, deque
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["ApiError", "FakeBotAPI", "parse_html", "utf16_len"]

MAX_TEXT = 4096  # UTF-16 code units of a message text after entity parsing
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
MAX_CALLBACK_ANSWER = 200
FORUM_ICON_COLORS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)
CHAT_ACTIONS = frozenset(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document choose_sticker "
    "find_location record_video_note upload_video_note".split()
)
UPDATE_TYPES = frozenset(
    "message edited_message channel_post edited_channel_post business_connection business_message "
    "edited_business_message deleted_business_messages message_reaction message_reaction_count inline_query "
    "chosen_inline_result callback_query shipping_query pre_checkout_query purchased_paid_media poll poll_answer "
    "my_chat_member chat_member chat_join_request chat_boost removed_chat_boost".split()
)
# What Telegram delivers when allowed_updates is not specified (or is an empty list).
DEFAULT_UPDATE_TYPES = UPDATE_TYPES - {"chat_member", "message_reaction", "message_reaction_count"}
MESSAGE_KINDS = (
    "text sticker voice audio photo video video_note animation document location contact poll dice".split()
)
MEDIA_KINDS = ("sticker", "voice", "audio", "photo", "video", "video_note", "animation", "document")
_CONTENT_KEYS = ("text", *MEDIA_KINDS, "location", "contact", "poll", "dice")
_FILE_PREFIX = {
    "photo": "AgACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "video_note": "DQACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
}
_FILE_DIR = {
    "photo": ("photos", "jpg"),
    "document": ("documents", "pdf"),
    "voice": ("voice", "oga"),
    "audio": ("music", "mp3"),
    "video": ("videos", "mp4"),
    "video_note": ("video_notes", "mp4"),
    "animation": ("animations", "mp4"),
    "sticker": ("stickers", "webp"),
}
# sendX method -> the parameter holding the file and the kind of file it accepts
_MEDIA_METHODS = {
    "sendPhoto": ("photo", {"photo"}),
    "sendDocument": ("document", {"document", "animation"}),
    "sendVoice": ("voice", {"voice"}),
    "sendAudio": ("audio", {"audio"}),
    "sendVideo": ("video", {"video"}),
    "sendAnimation": ("animation", {"animation"}),
    "sendVideoNote": ("video_note", {"video_note"}),
    "sendSticker": ("sticker", {"sticker"}),
}
_SEND_METHODS = frozenset(
    {"sendMessage", "copyMessage", "forwardMessage", *_MEDIA_METHODS}
)  # what counts for flood control
_SCOPE_TYPES = frozenset(
    "default all_private_chats all_group_chats all_chat_administrators chat chat_administrators chat_member".split()
)
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a current "
    "content and reply markup of the message"
)


class ApiError(Exception):
    """An error answer of the Bot API (HTTP status = error_code)."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None, *, record: bool = True
    ):
        super().__init__(description)
        self.record = record  # False: not kept in errors() (a superseded long poll whose client is gone)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _too_many(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


class EntityParseError(ValueError):
    """The reason Telegram gives after "can't parse entities: "."""


# ---------------------------------------------------------------------------------------------------------
# Text: UTF-16 lengths, HTML and Markdown parsing into (text, entities) like Telegram
# ---------------------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(src: str, index: int) -> int:
    return len(src[:index].encode("utf-8", "surrogatepass"))


_HTML_TAGS = frozenset(
    "b strong i em u ins s strike del a code pre blockquote tg-spoiler span tg-emoji".split()
)
_TAG_TYPE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
}
_HTML_SPACE = " \t\r\n\f\v"
_HTML_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_entity(src: str, i: int) -> tuple[str, int] | None:
    m = _HTML_ENTITY.match(src, i)
    if not m:
        return None
    if m.group(1):
        return _NAMED[m.group(1)], m.end()
    code = int(m.group(2), 10) if m.group(2) else int(m.group(3), 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), m.end()


def _valid_url(url: str) -> bool:
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme in ("http", "https"):
        return bool(parts.hostname) and (
            "." in parts.hostname or parts.hostname == "localhost" or _is_ip(parts.hostname)
        )
    if parts.scheme == "tg":
        return bool(parts.netloc or parts.path)
    if parts.scheme == "" and "." in url and " " not in url.strip():
        return True  # Telegram accepts "example.org" and adds http://
    return False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram strips leading and trailing white space and moves the entities with the text."""
    stripped = text.strip()
    if stripped == text:
        return text, _sorted_entities(entities, utf16_len(text))
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    shifted = []
    for ent in entities:
        start = max(0, ent["offset"] - lead)
        end = min(total, ent["offset"] + ent["length"] - lead)
        if end > start:
            shifted.append({**ent, "offset": start, "length": end - start})
    return stripped, _sorted_entities(shifted, total)


def _sorted_entities(entities: list[dict[str, Any]], total: int) -> list[dict[str, Any]]:
    kept = [e for e in entities if e["length"] > 0 and e["offset"] + e["length"] <= total]
    return sorted(kept, key=lambda e: (e["offset"], -e["length"]))


def parse_html(src: str, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram's HTML subset into (plain text, MessageEntity dicts), raising EntityParseError with
    Telegram's reason. Offsets are UTF-16 code units. With strict=True a bare '&' or '>' is an error (the Bot
    API documentation requires them escaped; Telegram's own parser lets them through)."""
    out: list[str] = []
    pos = 0  # UTF-16 offset in the output
    stack: list[dict[str, Any]] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(src)

    def emit(ch: str) -> None:
        nonlocal pos
        out.append(ch)
        pos += 2 if ord(ch) > 0xFFFF else 1

    while i < n:
        c = src[i]
        if c == "&":
            decoded = _decode_entity(src, i)
            if decoded is None:
                if strict:
                    raise EntityParseError(f'Unescaped "&" at byte offset {_byte_offset(src, i)}, use "&amp;"')
                emit("&")
                i += 1
                continue
            for ch in decoded[0]:
                emit(ch)
            i = decoded[1]
            continue
        if c == ">":
            if strict:
                raise EntityParseError(f'Unescaped ">" at byte offset {_byte_offset(src, i)}, use "&gt;"')
            emit(c)
            i += 1
            continue
        if c != "<":
            emit(c)
            i += 1
            continue
        begin = i
        if i + 1 < n and src[i + 1] == "/":  # an end tag
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
            j = i + 2
            while j < n and src[j] not in _HTML_SPACE and src[j] != ">":
                j += 1
            end_name = src[i + 2 : j].lower()
            while j < n and src[j] in _HTML_SPACE:
                j += 1
            if j >= n or src[j] != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
            top = stack[-1]
            if end_name and end_name != top["tag"]:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {_byte_offset(src, begin)}, expected "</{top["tag"]}>", '
                    f'found "</{end_name}>"'
                )
            stack.pop()
            i = j + 1
            _close_html_entity(top, pos, "".join(out[top["out"] :]), stack, entities)
            continue
        j = i + 1  # a start tag
        while j < n and src[j] not in _HTML_SPACE and src[j] != ">":
            j += 1
        if j >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        tag = src[i + 1 : j].lower()
        if tag not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(src, begin)}')
        attrs: dict[str, str] = {}
        expandable = False
        while True:
            while j < n and src[j] in _HTML_SPACE:
                j += 1
            if j >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
            if src[j] == ">":
                break
            a0 = j
            while j < n and src[j] not in _HTML_SPACE and src[j] not in "=>":
                j += 1
            name = src[a0:j].lower()
            if not name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(src, begin)}'
                )
            while j < n and src[j] in _HTML_SPACE:
                j += 1
            if j >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
            if src[j] != "=":
                if tag == "blockquote" and name == "expandable":
                    expandable = True
                    continue
                raise EntityParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte offset '
                    f"{_byte_offset(src, begin)}"
                )
            j += 1
            while j < n and src[j] in _HTML_SPACE:
                j += 1
            if j >= n:
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {_byte_offset(src, begin)}')
            if src[j] not in "'\"":
                t0 = j
                while j < n and ((src[j].isascii() and src[j].isalnum()) or src[j] in ".-"):
                    j += 1
                value = src[t0:j].lower()
                if j < n and src[j] not in _HTML_SPACE and src[j] != ">":
                    raise EntityParseError(f"Unexpected end of name token at byte offset {_byte_offset(src, t0)}")
            else:
                quote = src[j]
                j += 1
                buf: list[str] = []
                while j < n and src[j] != quote:
                    if src[j] == "&":
                        decoded = _decode_entity(src, j)
                        if decoded is not None:
                            buf.append(decoded[0])
                            j = decoded[1]
                            continue
                    buf.append(src[j])
                    j += 1
                if j >= n:
                    raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
                j += 1
                value = "".join(buf)
            attrs.setdefault(name, value)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(src, begin)}'
            )
        if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise EntityParseError(
                f"Invalid custom emoji identifier specified at byte offset {_byte_offset(src, begin)}"
            )
        stack.append({"tag": tag, "start": pos, "attrs": attrs, "expandable": expandable, "out": len(out)})
        i = j + 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]["tag"]}"')
    return _trim("".join(out), entities)


def _close_html_entity(
    top: dict[str, Any], end: int, inner: str, stack: list[dict[str, Any]], entities: list[dict[str, Any]]
) -> None:
    tag, attrs, length = top["tag"], top["attrs"], end - top["start"]
    if tag == "code" and stack and stack[-1]["tag"] == "pre":  # <pre><code class="language-x">: pre's language
        cls = attrs.get("class", "")
        if cls.startswith("language-") and len(cls) > len("language-"):
            stack[-1]["language"] = cls[len("language-") :]
        return
    if length <= 0 or any(open_["tag"] in ("code", "pre") for open_ in stack):
        return  # empty, or inside code/pre where nothing else is formatted
    entity: dict[str, Any] = {"type": _TAG_TYPE[tag], "offset": top["start"], "length": length}
    if tag == "a":
        href = attrs.get("href", inner).strip()
        if not _valid_url(href):
            return  # Telegram drops links it cannot use and keeps their text
        entity["url"] = href if "://" in href or href.startswith("tg:") else f"http://{href}"
    elif tag == "pre" and top.get("language"):
        entity["language"] = top["language"]
    elif tag == "blockquote" and top["expandable"]:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attrs["emoji-id"]
    entities.append(entity)


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}


def parse_markdown_v2(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's MarkdownV2, close enough for tests: reserved characters must be escaped, entities closed."""
    out: list[str] = []
    pos = 0
    stack: list[dict[str, Any]] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(src)

    def emit(ch: str) -> None:
        nonlocal pos
        out.append(ch)
        pos += 2 if ord(ch) > 0xFFFF else 1

    def top() -> str | None:
        return stack[-1]["type"] if stack else None

    def close(extra: dict[str, Any] | None = None) -> None:
        ent = stack.pop()
        if pos > ent["start"]:
            length = pos - ent["start"]
            entities.append({"type": ent["type"], "offset": ent["start"], "length": length, **(extra or {})})

    def unclosed() -> EntityParseError:
        return EntityParseError(
            f"Can't find end of {_MD_NAMES[stack[-1]['type']]} entity at byte offset {stack[-1]['byte']}"
        )

    def toggle(kind: str, at: int) -> None:
        if top() == kind:
            close()
        else:
            stack.append({"type": kind, "start": pos, "byte": _byte_offset(src, at)})

    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and 0 < ord(src[i + 1]) <= 126:
            emit(src[i + 1])
            i += 2
            continue
        kind = top()
        if kind in ("code", "pre"):
            if kind == "pre" and src.startswith("```", i):
                close({"language": stack[-1]["language"]} if stack[-1].get("language") else None)
                i += 3
            elif kind == "code" and c == "`":
                close()
                i += 1
            else:
                emit(c)
                i += 1
            continue
        if c == "\n" and any(e["type"] == "blockquote" for e in stack) and not src.startswith(">", i + 1):
            if top() != "blockquote":
                raise unclosed()
            close()
            emit(c)
            i += 1
            continue
        if c not in _MDV2_RESERVED:
            emit(c)
            i += 1
            continue
        if c == "*":
            toggle("bold", i)
            i += 1
        elif c == "~":
            toggle("strikethrough", i)
            i += 1
        elif c == "_":
            if src.startswith("__", i):
                toggle("underline", i)
                i += 2
            else:
                toggle("italic", i)
                i += 1
        elif c == "|" and src.startswith("||", i):
            toggle("spoiler", i)
            i += 2
        elif c == "`":
            if src.startswith("```", i):
                j = i + 3
                newline = src.find("\n", j)
                language = ""
                if newline != -1 and "`" not in src[j:newline] and " " not in src[j:newline].strip():
                    language, j = src[j:newline].strip(), newline + 1
                stack.append({"type": "pre", "start": pos, "byte": _byte_offset(src, i), "language": language})
                i = j
            else:
                stack.append({"type": "code", "start": pos, "byte": _byte_offset(src, i)})
                i += 1
        elif c == "[":
            stack.append({"type": "text_link", "start": pos, "byte": _byte_offset(src, i)})
            i += 1
        elif c == "!" and src.startswith("![", i):
            stack.append({"type": "custom_emoji", "start": pos, "byte": _byte_offset(src, i)})
            i += 2
        elif c == "]" and top() in ("text_link", "custom_emoji"):
            if not src.startswith("(", i + 1):
                raise unclosed()
            j, url = i + 2, []
            while j < n and src[j] != ")":
                if src[j] == "\\" and j + 1 < n:
                    j += 1
                url.append(src[j])
                j += 1
            if j >= n:
                raise EntityParseError(f"Can't find end of a URL at byte offset {_byte_offset(src, i + 1)}")
            target = "".join(url)
            if top() == "custom_emoji":
                m = re.fullmatch(r"tg://emoji\?id=(\d+)", target)
                if not m:
                    raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                close({"custom_emoji_id": m.group(1)})
            elif _valid_url(target):
                close({"url": target})
            else:
                stack.pop()  # an unusable link is dropped, its text stays
            i = j + 1
        elif c == ">" and (i == 0 or src[i - 1] == "\n"):
            if not any(e["type"] == "blockquote" for e in stack):
                stack.append({"type": "blockquote", "start": pos, "byte": _byte_offset(src, i)})
            i += 1
        else:
            raise EntityParseError(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")
    if stack and stack[-1]["type"] == "blockquote":
        close()
    if stack:
        raise unclosed()
    return _trim("".join(out), entities)


def parse_markdown(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's legacy Markdown: *bold* _italic_ `code` ```pre``` [text](url), no nesting."""
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(src)
    kinds = {"*": "bold", "_": "italic", "`": "code"}
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            out.append(src[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            i += 1
            continue
        start = utf16_len("".join(out))
        missing = EntityParseError(f"Can't find end of the entity starting at byte offset {_byte_offset(src, i)}")
        if c == "[":
            end = src.find("]", i + 1)
            if end == -1:
                raise missing
            inner = src[i + 1 : end]
            out.append(inner)
            i = end + 1
            if src.startswith("(", i):
                close = src.find(")", i)
                if close == -1:
                    raise missing
                url = src[i + 1 : close]
                if _valid_url(url) and inner:
                    entities.append({"type": "text_link", "offset": start, "length": utf16_len(inner), "url": url})
                i = close + 1
            continue
        if src.startswith("```", i):
            end = src.find("```", i + 3)
            if end == -1:
                raise missing
            inner, language = src[i + 3 : end], ""
            first, sep, rest = inner.partition("\n")
            if sep and first and " " not in first:
                inner, language = rest, first
            out.append(inner)
            if inner:
                ent = {"type": "pre", "offset": start, "length": utf16_len(inner)}
                if language:
                    ent["language"] = language
                entities.append(ent)
            i = end + 3
            continue
        end = src.find(c, i + 1)
        if end == -1:
            raise missing
        inner = src[i + 1 : end]
        out.append(inner)
        if inner:
            entities.append({"type": kinds[c], "offset": start, "length": utf16_len(inner)})
        i = end + 1
    return _trim("".join(out), entities)


def format_text(text: str, parse_mode: str | None, entities: Any = None, strict_html: bool = True) -> tuple[str, list]:
    """(plain text, entities) of a text or caption as Telegram would store it; raises ApiError."""
    mode = (parse_mode or "").strip().lower()
    try:
        if mode == "":
            plain, parsed = _trim(text, [dict(e) for e in entities] if isinstance(entities, list) else [])
        elif mode == "html":
            plain, parsed = parse_html(text, strict=strict_html)
        elif mode == "markdownv2":
            plain, parsed = parse_markdown_v2(text)
        elif mode == "markdown":
            plain, parsed = parse_markdown(text)
        else:
            raise _bad("unsupported parse_mode")
    except EntityParseError as exc:
        raise _bad(f"can't parse entities: {exc}") from None
    return plain, parsed


_USER_ENTITY = re.compile(
    r"(?P<bot_command>(?<![^\s(])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?)"
    r"|(?P<url>\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]])"
    r"|(?P<mention>(?<![\w@])@[A-Za-z0-9_]{5,32}\b)"
    r"|(?P<hashtag>(?<![\w#])#\w*[^\W\d_]\w*)"
)


def detect_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram's clients attach to what a person types (bot_command, url, mention, hashtag)."""
    found = []
    for m in _USER_ENTITY.finditer(text):
        found.append({"type": m.lastgroup, "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())})
    return found


# ---------------------------------------------------------------------------------------------------------
# Request parameters
# ---------------------------------------------------------------------------------------------------------


class _Params:
    """Parameters of one call: form fields (JSON-encoded unless str), JSON body values, query string, files."""

    def __init__(self, values: dict[str, Any], files: dict[str, tuple[str, str, bytes]] | None = None):
        self.values = values
        self.files = files or {}

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "") or name in self.files

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, (int, float)):
            return int(value)
        try:
            return int(str(value).strip())
        except ValueError:
            try:
                return int(float(str(value).strip()))
            except ValueError:
                raise _bad(f"invalid {name} specified") from None

    def float(self, name: str, default: float = 0.0) -> float:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad(f"invalid {name} specified") from None

    def bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)

    def json(self, name: str, error: str | None = None) -> Any:
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise _bad(error or f"can't parse {name} JSON object") from None


def _parse_body(headers: Any, body: bytes, query: str) -> _Params:
    values: dict[str, Any] = {k: v for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True)}
    files: dict[str, tuple[str, str, bytes]] = {}
    ctype = (headers.get("Content-Type") or "").strip()
    kind = ctype.split(";")[0].strip().lower()
    if not body:
        pass
    elif kind == "application/json":
        try:
            data = json.loads(body.decode("utf-8"))
        except ValueError:
            raise _bad("can't parse JSON object") from None
        if not isinstance(data, dict):
            raise _bad("can't parse JSON object")
        values.update(data)
    elif kind == "multipart/form-data":
        parser = email.parser.BytesParser(policy=email.policy.HTTP)
        message = parser.parsebytes(b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                continue
            data = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                files[name] = (filename, part.get_content_type(), data)
            else:
                values[name] = data.decode("utf-8")
    else:  # application/x-www-form-urlencoded, as python-telegram-bot sends it
        values.update(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return _Params(values, files)


# ---------------------------------------------------------------------------------------------------------
# HTTP server
# ---------------------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:  # a client that hung up: nothing to say
        pass

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], fake: FakeBotAPI):
        super().__init__(address, _Handler)
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeTelegramBotAPI/1.0"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - never log (URLs carry the token)
        return

    def do_GET(self) -> None:  # noqa: N802
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._read_body()
        status, headers, payload = self.server.fake._handle_http(self.command, self.path, self.headers, body)
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self._headers_buffer.append(b"\r\n" + payload)  # headers and body in one write
            self.flush_headers()
        except OSError:  # the client went away (a cancelled long poll)
            self.close_connection = True


# ---------------------------------------------------------------------------------------------------------
# The fake
# ---------------------------------------------------------------------------------------------------------


def _now() -> int:
    return int(time.time())


class FakeBotAPI:
    """A strict, in-memory Telegram Bot API server for tests. Thread-safe; see the module docstring."""

    def __init__(
        self,
        token: str = "123:TEST",
        bot_username: str = "rahnama_test_bot",
        *,
        bot_first_name: str = "Rahnama",
        strict_html: bool = True,
        port: int = 0,
    ):
        self.token = token
        self.bot_username = bot_username
        self.strict_html = strict_html
        self._port = port  # 0: a free port; always on 127.0.0.1
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 123
        self.bot_user = {"id": self.bot_id, "is_bot": True, "first_name": bot_first_name, "username": bot_username}
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._server: _Server | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._methods = self._method_table()
        self._reset_world()
        self._reset_records()

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> FakeBotAPI:
        if self._server is not None:
            return self
        self._stopping = False
        self._server = _Server(("127.0.0.1", self._port), self)
        serve = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-bot-api", daemon=True
        )
        hooks = threading.Thread(target=self._webhook_loop, name="fake-bot-api-webhook", daemon=True)
        self._threads = [serve, hooks]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        server.shutdown()
        with server.connections_lock:
            for conn in list(server.connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []
        self._server = None

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """What TELEGRAM_API_BASE_URL is set to; python-telegram-bot appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- control API: the world ----------------------------------------------------------------------------

    def register_user(
        self,
        user_id: int,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str | None = "en",
        last_name: str | None = None,
    ) -> dict[str, Any]:
        """Make a person and their private chat with the bot known (as if they had pressed Start)."""
        with self._cond:
            self._user(user_id, first_name, username, language_code, last_name)
            return copy.deepcopy(self._private_chat(user_id))

    def register_group(
        self,
        chat_id: int,
        title: str = "Test group",
        is_forum: bool = False,
        *,
        chat_type: str | None = None,
        username: str | None = None,
        bot_is_admin: bool = True,
    ) -> dict[str, Any]:
        """Make a group known, with the bot in it. A forum is a supergroup with is_forum true."""
        if chat_id >= 0:
            raise ValueError("group and supergroup ids are negative")
        kind = chat_type or ("supergroup" if is_forum or chat_id <= -1_000_000_000_000 else "group")
        if kind not in ("group", "supergroup"):
            raise ValueError(f"chat_type must be group or supergroup, not {kind!r}")
        if is_forum and kind != "supergroup":
            raise ValueError("only supergroups can be forums")
        with self._cond:
            chat: dict[str, Any] = {"id": chat_id, "type": kind, "title": title}
            if username:
                chat["username"] = username
            if is_forum:
                chat["is_forum"] = True
            self._chats[chat_id] = chat
            self._chat_meta[chat_id] = {"bot_is_admin": bot_is_admin, "kicked": False}
            self._messages.setdefault(chat_id, {})
            self._topics.setdefault(chat_id, {})
            if is_forum:  # message 1 created the chat; thread 1 is the General topic
                self._next_message_id[chat_id] = max(1, self._next_message_id.get(chat_id, 0))
            return copy.deepcopy(chat)

    def kick_bot(self, chat_id: int) -> None:
        """The bot is removed from a group: sending there gets 403 "bot was kicked from the ... chat"."""
        with self._cond:
            self._chat_meta[chat_id]["kicked"] = True

    def block(self, user_id: int, notify: bool = True) -> dict[str, Any] | None:
        """The person blocks the bot: sends get 403 "Forbidden: bot was blocked by the user". Telegram tells the
        bot with a my_chat_member update (status kicked); returned when notify."""
        with self._cond:
            self._user(user_id)
            self._private_chat(user_id)
            if user_id in self._blocked:
                return None
            self._blocked.add(user_id)
            return self._my_chat_member(user_id, "member", "kicked") if notify else None

    def unblock(self, user_id: int, notify: bool = True) -> dict[str, Any] | None:
        with self._cond:
            if user_id not in self._blocked:
                return None
            self._blocked.discard(user_id)
            return self._my_chat_member(user_id, "kicked", "member") if notify else None

    def user_sends(
        self,
        user_id: int,
        text: str | None = None,
        kind: str = "text",
        chat_id: int | None = None,
        chat_type: str = "private",
        language_code: str | None = "en",
        first_name: str = "Test",
        message_thread_id: int | None = None,
        reply_to_message_id: int | None = None,
        username: str | None = None,
        *,
        last_name: str | None = None,
        title: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A person sends a message; returns the update (also queued for getUpdates or the webhook).

        kind: text (text required) or a media kind, where text becomes the caption. A command gets its bot_command
        entity ("/start", "/start@bot"). For a group pass chat_id (negative) and chat_type "group"/"supergroup"
        (unknown groups are registered); forum topics are addressed by message_thread_id. A user who blocked the
        bot and writes again unblocks it, as on Telegram."""
        if kind not in MESSAGE_KINDS:
            raise ValueError(f"kind must be one of {', '.join(MESSAGE_KINDS)}")
        if kind == "text" and not (text or "").strip():
            raise ValueError("a text message needs text")
        with self._cond:
            user = self._user(user_id, first_name, username, language_code, last_name)
            chat = self._chat_for_user(user_id, chat_id, chat_type, title)
            if chat["type"] == "private" and user_id in self._blocked:
                self.unblock(user_id)
            msg = self._message_base(chat, user)
            thread = self._user_thread(chat, message_thread_id)
            if thread is not None:
                msg["message_thread_id"] = thread
                if chat.get("is_forum"):
                    msg["is_topic_message"] = True
            if reply_to_message_id is not None:
                msg["reply_to_message"] = self._reply_copy(self._existing(chat["id"], reply_to_message_id))
            elif thread is not None and chat.get("is_forum"):
                msg["reply_to_message"] = self._reply_copy(self._existing(chat["id"], thread))
            self._fill_content(msg, kind, text)
            if extra:
                msg.update(copy.deepcopy(extra))
            self._store(msg)
            return self._push_update({"message": msg})

    def user_edits(
        self, user_id: int, message_id: int, new_text: str, chat_id: int | None = None
    ) -> dict[str, Any]:
        """A person edits one of their messages (text, or the caption of media): an edited_message update."""
        with self._cond:
            cid = user_id if chat_id is None else chat_id
            msg = self._existing(cid, message_id)
            if msg.get("from", {}).get("id") != user_id:
                raise ValueError("a person can only edit their own messages")
            if "text" in msg:
                if not new_text.strip():
                    raise ValueError("a text message needs text")
                msg["text"] = new_text
                msg.pop("entities", None)
                if ents := detect_entities(new_text):
                    msg["entities"] = ents
            else:
                msg["caption"] = new_text
                msg.pop("caption_entities", None)
                if ents := detect_entities(new_text):
                    msg["caption_entities"] = ents
            msg["edit_date"] = max(_now(), msg["date"] + 1)
            return self._push_update({"edited_message": copy.deepcopy(msg)})

    def user_presses(
        self, user_id: int, message: Any, callback_data: str, *, check: bool = True
    ) -> dict[str, Any]:
        """A person presses an inline button of a message the bot sent: a callback_query update.

        message: the bot's message (a dict with message_id and chat or chat_id — a Message dict or a sent()
        record — or a telegram.Message). With check, the button must be in the message's current keyboard."""
        if hasattr(message, "to_dict"):
            message = message.to_dict()
        if isinstance(message, dict):
            mid = message["message_id"]
            cid = message["chat"]["id"] if isinstance(message.get("chat"), dict) else message.get("chat_id")
        else:
            mid, cid = int(message), user_id
        with self._cond:
            stored = self._existing(cid, mid)
            if stored.get("from", {}).get("id") != self.bot_id:
                raise ValueError("inline buttons are pressed on the bot's messages")
            if check:
                rows = (stored.get("reply_markup") or {}).get("inline_keyboard") or []
                if not any(b.get("callback_data") == callback_data for row in rows for b in row):
                    raise ValueError("no button with this callback_data on the message (any more)")
            chat = self._chats[cid]
            if chat["type"] == "private" and cid != user_id:
                raise ValueError("only the person of a private chat can press its buttons")
            user = self._user(user_id)
            query_id = str(next(self._ids) * 1_000_003 + self.bot_id)
            self._queries[query_id] = {"user_id": user_id, "answered": False}
            query = {
                "id": query_id,
                "from": copy.deepcopy(user),
                "message": copy.deepcopy(stored),
                "chat_instance": str((abs(cid) * 7_919 + self.bot_id) % 10**19),
                "data": callback_data,
            }
            return self._push_update({"callback_query": query})

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a hand-made update (update_id is assigned)."""
        with self._cond:
            body = {k: v for k, v in update.items() if k != "update_id"}
            return self._push_update(copy.deepcopy(body))

    # -- control API: behaviour ----------------------------------------------------------------------------

    def flood_control(
        self,
        per_chat_per_second: float | None = 1,
        global_per_second: float | None = 30,
        per_group_per_minute: float | None = 20,
        *,
        enabled: bool = True,
    ) -> None:
        """Turn Telegram's rate limits on (sliding windows; a None limit is not enforced) or off (enabled=False).
        Sending methods over a limit get 429 "Too Many Requests: retry after N" with parameters.retry_after."""
        with self._cond:
            if not enabled:
                self._flood = None
            else:
                self._flood = {
                    "chat": per_chat_per_second,
                    "global": global_per_second,
                    "group": per_group_per_minute,
                }
            self._sends_by_chat.clear()
            self._sends_global.clear()

    def fail_next(
        self,
        method: str,
        status: int = 500,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """The next `times` calls of `method` ("*" for any) fail with `status` (429 carries retry_after)."""
        texts = {
            400: "Bad Request",
            403: "Forbidden",
            409: "Conflict",
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }
        with self._cond:
            self._failures.append(
                {
                    "method": method.lower(),
                    "status": status,
                    "retry_after": retry_after,
                    "times": times,
                    "description": description or texts.get(status, "Internal Server Error"),
                }
            )

    # -- control API: what the bot did ---------------------------------------------------------------------

    def sent(self, chat_id: int | None = None, method: str | Iterable[str] | None = None) -> list[dict[str, Any]]:
        """What the bot sent successfully, oldest first: dicts with method, chat_id, message_id, text (as the bot
        wrote it), plain_text (after entity parsing), parse_mode, entities, reply_markup, message_thread_id, kind,
        caption, file_id, reply_to_message_id, time, ... Edits are included (method editMessageText...)."""
        with self._cond:
            return copy.deepcopy(self._match(chat_id, method, None))

    def wait_for(
        self,
        predicate_or_count: Callable[[dict[str, Any]], bool] | int = 1,
        chat_id: int | None = None,
        timeout: float = 10,
        *,
        method: str | Iterable[str] | None = None,
        count: int | None = None,
    ) -> list[dict[str, Any]]:
        """Block until the bot has sent `count` matching messages (a number, or 1 for a predicate) and return all
        that match; TimeoutError otherwise. From async code use wait_for_async."""
        predicate, needed = self._wanted(predicate_or_count, count)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = self._match(chat_id, method, predicate)
                if len(found) >= needed:
                    return copy.deepcopy(found)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"the bot sent {len(found)} matching messages, {needed} expected")
                self._cond.wait(remaining)

    async def wait_for_async(
        self,
        predicate_or_count: Callable[[dict[str, Any]], bool] | int = 1,
        chat_id: int | None = None,
        timeout: float = 10,
        *,
        method: str | Iterable[str] | None = None,
        count: int | None = None,
    ) -> list[dict[str, Any]]:
        """wait_for without blocking the event loop (the bot may run on the same loop)."""
        predicate, needed = self._wanted(predicate_or_count, count)
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                found = self._match(chat_id, method, predicate)
                if len(found) >= needed:
                    return copy.deepcopy(found)
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the bot sent {len(found)} matching messages, {needed} expected")
            await asyncio.sleep(0.01)

    def commands(self, scope: Any = None, language_code: str | None = None) -> list[dict[str, str]]:
        """The commands set with setMyCommands for a scope (a dict, a telegram.BotCommandScope, a type name such
        as "all_private_chats"; default scope when None) and language ("" or None for all languages)."""
        if hasattr(scope, "to_dict"):
            scope = scope.to_dict()
        if isinstance(scope, str):
            scope = {"type": scope}
        with self._cond:
            key = (self._scope_key(scope), language_code or "")
            return copy.deepcopy(self._commands.get(key, []))

    def chat_actions(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        with self._cond:
            return copy.deepcopy([a for a in self._actions if chat_id is None or a["chat_id"] == chat_id])

    def deleted(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot deleted: dicts with chat_id, message_id, time."""
        with self._cond:
            return copy.deepcopy([d for d in self._deleted if chat_id is None or d["chat_id"] == chat_id])

    def pinned(self, chat_id: int) -> int | None:
        """The id of the message the bot pinned last in a chat, if any."""
        with self._cond:
            return self._pinned.get(chat_id)

    def forum_topics(self, chat_id: int) -> list[dict[str, Any]]:
        """Topics of a forum: dicts with message_thread_id, name, icon_color, is_closed."""
        with self._cond:
            return copy.deepcopy(list(self._topics.get(chat_id, {}).values()))

    def callback_answers(self) -> list[dict[str, Any]]:
        with self._cond:
            return copy.deepcopy(self._answers)

    def errors(self, method: str | None = None) -> list[dict[str, Any]]:
        """Calls the fake refused: dicts with method, error_code, description, time."""
        with self._cond:
            return copy.deepcopy([e for e in self._errors if method is None or e["method"] == method])

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The messages of a chat as they are now (sent by people and by the bot, not deleted)."""
        with self._cond:
            return copy.deepcopy(sorted(self._messages.get(chat_id, {}).values(), key=lambda m: m["message_id"]))

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed (getUpdates) or delivered (webhook)."""
        with self._cond:
            return copy.deepcopy(list(self._updates))

    @property
    def webhook(self) -> dict[str, Any] | None:
        with self._cond:
            return copy.deepcopy(self._webhook)

    @property
    def requests(self) -> Counter:
        """How many times each method was called (canonical names such as "sendMessage"), errors included."""
        with self._cond:
            return Counter(self._requests)

    def clear(self) -> None:
        """Forget what was recorded (sent, chat actions, deletions, answers, errors, request counts). Chats,
        messages, topics, pending updates, commands and the webhook stay."""
        with self._cond:
            self._reset_records()
            self._cond.notify_all()

    def reset(self) -> None:
        """Back to an empty world (and no flood control nor injected failures)."""
        with self._cond:
            self._reset_world()
            self._reset_records()
            self._poll_generation += 1
            self._cond.notify_all()

    # -- internals: state ----------------------------------------------------------------------------------

    def _reset_world(self) -> None:
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._chat_meta: dict[int, dict[str, Any]] = {}
        self._blocked: set[int] = set()
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._next_message_id: dict[int, int] = {}
        self._topics: dict[int, dict[int, dict[str, Any]]] = {}
        self._updates: deque[dict[str, Any]] = deque()
        self._next_update_id = 700_000_001
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._poll_generation = getattr(self, "_poll_generation", 0)
        self._webhook: dict[str, Any] | None = None
        self._webhook_retry_at = 0.0
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._profile: dict[tuple[str, str], str] = {}
        self._queries: dict[str, dict[str, Any]] = {}
        self._files: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._flood: dict[str, float | None] | None = None
        self._sends_by_chat: dict[int, deque[float]] = {}
        self._sends_global: deque[float] = deque()
        self._failures: list[dict[str, Any]] = []

    def _reset_records(self) -> None:
        self._sent: list[dict[str, Any]] = []
        self._actions: list[dict[str, Any]] = []
        self._deleted: list[dict[str, Any]] = []
        self._pinned: dict[int, int] = {}
        self._answers: list[dict[str, Any]] = []
        self._errors: list[dict[str, Any]] = []
        self._requests: Counter = Counter()

    def _user(
        self,
        user_id: int,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str | None = None,
        last_name: str | None = None,
    ) -> dict[str, Any]:
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = self._users.get(user_id)
        if user is None:
            user = {"id": user_id, "is_bot": False, "first_name": first_name}
            self._users[user_id] = user
        else:
            user["first_name"] = first_name if first_name != "Test" else user["first_name"]
        for key, value in (("last_name", last_name), ("username", username), ("language_code", language_code)):
            if value:
                user[key] = value
        return user

    def _private_chat(self, user_id: int) -> dict[str, Any]:
        user = self._users[user_id]
        chat = self._chats.get(user_id)
        if chat is None:
            chat = {"id": user_id, "type": "private"}
            self._chats[user_id] = chat
            self._chat_meta[user_id] = {"bot_is_admin": False, "kicked": False}
            self._messages.setdefault(user_id, {})
        chat["first_name"] = user["first_name"]
        for key in ("last_name", "username"):
            if key in user:
                chat[key] = user[key]
        return chat

    def _chat_for_user(self, user_id: int, chat_id: int | None, chat_type: str, title: str | None) -> dict[str, Any]:
        if chat_id is None or chat_id == user_id:
            if chat_type != "private":
                raise ValueError("a group message needs the group's chat_id")
            return self._private_chat(user_id)
        if chat_id in self._chats:
            return self._chats[chat_id]
        if chat_type == "private":
            raise ValueError("a private chat's id is the user's id; for a group pass chat_type")
        self.register_group(chat_id, title or "Test group", chat_type=chat_type)
        return self._chats[chat_id]

    def _my_chat_member(self, user_id: int, old: str, new: str) -> dict[str, Any]:
        def member(status: str) -> dict[str, Any]:
            body: dict[str, Any] = {"user": dict(self.bot_user), "status": status}
            if status == "kicked":
                body["until_date"] = 0
            return body

        update = {
            "chat": copy.deepcopy(self._chats[user_id]),
            "from": copy.deepcopy(self._users[user_id]),
            "date": _now(),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        return self._push_update({"my_chat_member": update})

    def _push_update(self, body: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, **copy.deepcopy(body)}
        self._next_update_id += 1
        self._updates.append(update)
        self._cond.notify_all()
        return copy.deepcopy(update)

    def _next_id(self, chat_id: int) -> int:
        mid = self._next_message_id.get(chat_id, 0) + 1
        self._next_message_id[chat_id] = mid
        return mid

    def _message_base(self, chat: dict[str, Any], sender: dict[str, Any]) -> dict[str, Any]:
        return {
            "message_id": self._next_id(chat["id"]),
            "from": copy.deepcopy(sender),
            "chat": copy.deepcopy(chat),
            "date": _now(),
        }

    def _store(self, msg: dict[str, Any]) -> None:
        self._messages.setdefault(msg["chat"]["id"], {})[msg["message_id"]] = msg

    def _existing(self, chat_id: int, message_id: int) -> dict[str, Any]:
        msg = self._messages.get(chat_id, {}).get(message_id)
        if msg is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        return msg

    @staticmethod
    def _reply_copy(msg: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy({k: v for k, v in msg.items() if k != "reply_to_message"})

    def _user_thread(self, chat: dict[str, Any], thread: int | None) -> int | None:
        if thread is None:
            return None
        if chat["type"] == "private":
            raise ValueError("private chats have no topics here")
        if chat.get("is_forum"):
            if thread not in self._topics.get(chat["id"], {}):
                raise ValueError(f"no topic {thread} in chat {chat['id']}")
        else:
            self._existing(chat["id"], thread)
        return thread

    def _new_file(self, kind: str, data: bytes | None = None, size: int | None = None) -> dict[str, Any]:
        n = next(self._ids)
        digest = hashlib.sha256(f"{self.bot_id}:{kind}:{n}".encode()).digest()
        file_id = _FILE_PREFIX[kind] + base64.urlsafe_b64encode(digest + n.to_bytes(4, "big")).decode().rstrip("=")
        unique = "AQAD" + base64.urlsafe_b64encode(digest[:9]).decode()
        folder, ext = _FILE_DIR[kind]
        record = {
            "kind": kind,
            "file_id": file_id,
            "file_unique_id": unique,
            "file_size": len(data) if data is not None else (size or 1_000 + n * 37 % 90_000),
            "file_path": f"{folder}/file_{n}.{ext}",
            "data": data,
        }
        self._files[file_id] = record
        return record

    def _media_object(self, kind: str, file: dict[str, Any] | None = None, filename: str | None = None) -> Any:
        f = file or self._new_file(kind)
        base = {"file_id": f["file_id"], "file_unique_id": f["file_unique_id"], "file_size": f["file_size"]}
        if kind == "photo":
            sizes = []
            for width, height in ((90, 67), (320, 240), (800, 600)):
                size = f if (width == 800) else self._new_file("photo", size=f["file_size"] * width // 1000 + 1)
                sizes.append(
                    {"file_id": size["file_id"], "file_unique_id": size["file_unique_id"],
                     "file_size": size["file_size"], "width": width, "height": height}
                )
            return sizes
        if kind == "sticker":
            return {**base, "type": "regular", "width": 512, "height": 512, "is_animated": False,
                    "is_video": False, "emoji": "\U0001f44d", "set_name": "TestStickers"}
        if kind == "voice":
            return {**base, "duration": 3, "mime_type": "audio/ogg"}
        if kind == "audio":
            return {**base, "duration": 95, "performer": "Test", "title": "Test audio",
                    "file_name": filename or "audio.mp3", "mime_type": "audio/mpeg"}
        if kind == "video":
            return {**base, "width": 640, "height": 360, "duration": 12, "mime_type": "video/mp4",
                    "file_name": filename or "video.mp4"}
        if kind == "video_note":
            return {**base, "length": 240, "duration": 5}
        if kind == "animation":
            return {**base, "width": 320, "height": 240, "duration": 2, "mime_type": "video/mp4",
                    "file_name": filename or "animation.mp4"}
        name = filename or "document.pdf"
        return {**base, "file_name": name, "mime_type": mimetypes.guess_type(name)[0] or "application/octet-stream"}

    def _fill_content(self, msg: dict[str, Any], kind: str, text: str | None) -> None:
        if kind == "text":
            msg["text"] = text
            if ents := detect_entities(text or ""):
                msg["entities"] = ents
            return
        if kind in MEDIA_KINDS:
            msg[kind] = self._media_object(kind)
            if kind == "animation":  # Telegram sends an animation as a document too
                anim = msg[kind]
                msg["document"] = {k: anim[k] for k in ("file_id", "file_unique_id", "file_size", "file_name",
                                                        "mime_type")}
        elif kind == "location":
            msg["location"] = {"latitude": 43.856259, "longitude": 18.413076}
        elif kind == "contact":
            user = msg["from"]
            msg["contact"] = {"phone_number": "+38761000000", "first_name": user["first_name"], "user_id": user["id"]}
        elif kind == "poll":
            msg["poll"] = {
                "id": str(next(self._ids) * 7_777),
                "question": text or "Question?",
                "options": [
                    {"persistent_id": "0", "text": "Yes", "voter_count": 0},
                    {"persistent_id": "1", "text": "No", "voter_count": 0},
                ],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
            }
            return
        elif kind == "dice":
            msg["dice"] = {"emoji": "\U0001f3b2", "value": 4}
            return
        if text and kind not in ("sticker", "video_note", "location", "contact"):
            msg["caption"] = text
            if ents := detect_entities(text):
                msg["caption_entities"] = ents

    # -- internals: control helpers ------------------------------------------------------------------------

    @staticmethod
    def _wanted(predicate_or_count: Any, count: int | None) -> tuple[Callable | None, int]:
        if callable(predicate_or_count):
            return predicate_or_count, count or 1
        return None, int(predicate_or_count if count is None else count)

    def _match(self, chat_id: int | None, method: Any, predicate: Callable | None) -> list[dict[str, Any]]:
        methods = {method} if isinstance(method, str) else (set(method) if method else None)
        return [
            r
            for r in self._sent
            if (chat_id is None or r["chat_id"] == chat_id)
            and (methods is None or r["method"] in methods)
            and (predicate is None or predicate(r))
        ]

    # -- internals: HTTP -----------------------------------------------------------------------------------

    def _handle_http(self, verb: str, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        parts = urllib.parse.urlsplit(path)
        if parts.path.startswith("/file/bot"):
            return self._serve_file(parts.path)
        m = re.fullmatch(r"/bot([^/]*)/([^/]*)/?", parts.path)
        if not m:
            return self._json(404, ApiError(404, "Not Found").payload())
        token, name = urllib.parse.unquote(m.group(1)), m.group(2)
        if token != self.token:
            return self._json(401, ApiError(401, "Unauthorized").payload())
        entry = self._methods.get(name.lower())
        if entry is None:
            return self._json(404, ApiError(404, "Not Found").payload())
        canonical, handler = entry
        try:
            params = _parse_body(headers, body, parts.query)
            with self._cond:
                self._requests[canonical] += 1
                self._injected_failure(canonical)
                if canonical in _SEND_METHODS:
                    self._check_flood(params)
                result = handler(params)
                description = None
                if isinstance(result, tuple):
                    result, description = result
                if canonical in _SEND_METHODS:
                    self._count_send(params)
                self._cond.notify_all()
        except ApiError as exc:
            with self._cond:
                if exc.record:
                    self._errors.append(
                        {
                            "method": canonical,
                            "error_code": exc.code,
                            "description": exc.description,
                            "time": time.time(),
                        }
                    )
            return self._json(exc.code, exc.payload())
        body_out: dict[str, Any] = {"ok": True, "result": result}
        if description:
            body_out["description"] = description
        return self._json(200, body_out)

    @staticmethod
    def _json(status: int, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return status, {"Content-Type": "application/json"}, payload

    def _serve_file(self, path: str) -> tuple[int, dict[str, str], bytes]:
        m = re.fullmatch(r"/file/bot([^/]*)/(.+)", path)
        if not m or urllib.parse.unquote(m.group(1)) != self.token:
            return self._json(404, ApiError(404, "Not Found").payload())
        with self._cond:
            for record in self._files.values():
                if record["file_path"] == m.group(2):
                    data = record["data"] if record["data"] is not None else b"\0" * min(record["file_size"], 4096)
                    return 200, {"Content-Type": "application/octet-stream"}, data
        return self._json(404, ApiError(404, "Not Found").payload())

    def _injected_failure(self, method: str) -> None:
        for failure in self._failures:
            if failure["method"] in ("*", method.lower()) and failure["times"] > 0:
                failure["times"] -= 1
                self._failures = [f for f in self._failures if f["times"] > 0]
                if failure["status"] == 429:
                    raise _too_many(failure["retry_after"])
                raise ApiError(failure["status"], failure["description"])

    def _flood_key(self, params: _Params) -> int | None:
        raw = params.raw("chat_id")
        return self._chat_id_of(raw) if raw not in (None, "") else None

    def _check_flood(self, params: _Params) -> None:
        if not self._flood:
            return
        now = time.monotonic()
        chat_id = self._flood_key(params)
        windows = [(self._sends_global, 1.0, self._flood["global"])]
        if chat_id is not None:
            sends = self._sends_by_chat.setdefault(chat_id, deque())
            windows.append((sends, 1.0, self._flood["chat"]))
            if chat_id < 0:
                windows.append((sends, 60.0, self._flood["group"]))
        wait = 0.0
        for sends, span, limit in windows:
            if not limit:
                continue
            recent = [t for t in sends if now - t < span]
            if len(recent) >= limit:
                wait = max(wait, span - (now - recent[-int(limit)]))
        if wait > 0:
            raise _too_many(max(1, math.ceil(wait)))

    def _count_send(self, params: _Params) -> None:
        if not self._flood:
            return
        now = time.monotonic()
        self._sends_global.append(now)
        while self._sends_global and now - self._sends_global[0] >= 1.0:
            self._sends_global.popleft()
        chat_id = self._flood_key(params)
        if chat_id is not None:
            sends = self._sends_by_chat.setdefault(chat_id, deque())
            sends.append(now)
            while sends and now - sends[0] >= 60.0:
                sends.popleft()

    # -- internals: webhook delivery -----------------------------------------------------------------------

    def _webhook_loop(self) -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while True:
            with self._cond:
                while not self._stopping and not self._deliverable():
                    self._cond.wait(0.2)
                if self._stopping:
                    return
                hook = copy.deepcopy(self._webhook)
                update = copy.deepcopy(self._updates[0])
            error = self._deliver(opener, hook, update)
            with self._cond:
                if self._webhook is None or self._webhook["url"] != hook["url"]:
                    continue
                if error is None:
                    if self._updates and self._updates[0]["update_id"] == update["update_id"]:
                        self._updates.popleft()
                    self._cond.notify_all()
                else:
                    self._webhook["last_error_date"] = _now()
                    self._webhook["last_error_message"] = error
                    self._webhook_retry_at = time.monotonic() + 0.5

    def _deliverable(self) -> bool:
        if not self._webhook or not self._webhook["loopback"] or time.monotonic() < self._webhook_retry_at:
            return False
        allowed = self._webhook.get("allowed") or DEFAULT_UPDATE_TYPES
        while self._updates and self._update_type(self._updates[0]) not in allowed:
            self._updates.popleft()
        return bool(self._updates)

    @staticmethod
    def _deliver(opener: Any, hook: dict[str, Any], update: dict[str, Any]) -> str | None:
        headers = {"Content-Type": "application/json"}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        request = urllib.request.Request(hook["url"], data=json.dumps(update).encode(), headers=headers, method="POST")
        try:
            with opener.open(request, timeout=10) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            return f"Wrong response from the webhook: {exc.code} {exc.reason}"
        except (OSError, ValueError) as exc:
            return f"Connection failed: {type(exc).__name__}"
        return None

    @staticmethod
    def _update_type(update: dict[str, Any]) -> str:
        return next(k for k in update if k != "update_id")

    # -- internals: API helpers ----------------------------------------------------------------------------

    def _chat_id_of(self, raw: Any) -> int | None:
        if isinstance(raw, bool):
            return None
        if isinstance(raw, int):
            return raw
        text = str(raw).strip()
        if text.startswith("@"):
            name = text[1:].lower()
            for cid, chat in self._chats.items():
                if chat["type"] != "private" and chat.get("username", "").lower() == name:
                    return cid
            return None
        try:
            return int(text)
        except ValueError:
            return None

    def _chat(self, params: _Params, name: str = "chat_id", *, writing: bool = True) -> dict[str, Any]:
        raw = params.raw(name)
        if raw in (None, ""):
            raise _bad(f"{name} is empty")
        chat_id = self._chat_id_of(raw)
        if chat_id is None or chat_id not in self._chats:
            raise _bad("chat not found")
        chat = self._chats[chat_id]
        if writing:
            if chat["type"] == "private" and chat_id in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if self._chat_meta[chat_id].get("kicked"):
                raise ApiError(403, f"Forbidden: bot was kicked from the {chat['type']} chat")
        return chat

    def _thread(self, chat: dict[str, Any], params: _Params) -> int | None:
        thread = params.int("message_thread_id")
        if thread is None:
            return None
        if chat.get("is_forum"):
            if thread == 1:  # the General topic
                return None
            topic = self._topics.get(chat["id"], {}).get(thread)
            if topic is None:
                raise _bad("message thread not found")
            if topic["is_closed"]:
                raise _bad("TOPIC_CLOSED")
            return thread
        if chat["type"] == "private" or thread not in self._messages.get(chat["id"], {}):
            raise _bad("message thread not found")
        return thread

    def _markup(self, params: _Params, *, inline_only: bool = False) -> dict[str, Any] | None:
        if not params.has("reply_markup"):
            return None
        markup = params.json("reply_markup", "can't parse reply keyboard markup JSON object")
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            self._check_inline_keyboard(markup["inline_keyboard"])
        elif inline_only:
            raise _bad("inline keyboard expected")
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
            for row in rows:
                for button in row:
                    text = button if isinstance(button, str) else (button or {}).get("text")
                    if not isinstance(text, str) or not text.strip():
                        raise _bad("keyboard button text must be non-empty")
        elif markup.get("remove_keyboard") is not True and markup.get("force_reply") is not True:
            raise _bad("can't parse reply keyboard markup JSON object")
        return markup

    @staticmethod
    def _check_inline_keyboard(rows: Any) -> None:
        if not isinstance(rows, list):
            raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
        total = 0
        for row in rows:
            if not isinstance(row, list):
                raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
            for button in row:
                if not isinstance(button, dict):
                    raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
                text = button.get("text")
                if not isinstance(text, str):
                    raise _bad('can\'t parse inline keyboard button: Field "text" must be of type String')
                if not text.strip():
                    raise _bad("text buttons are unallowed in the inline keyboard")
                if not any(key in button for key in _BUTTON_ACTIONS):
                    raise _bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
                        raise _bad("BUTTON_DATA_INVALID")
                if "url" in button and (not isinstance(button["url"], str) or not _valid_url(button["url"])):
                    raise _bad("BUTTON_URL_INVALID")
                total += 1
        if total > 100:
            raise _bad("reply markup is too long")

    def _reply_target(self, chat: dict[str, Any], params: _Params) -> dict[str, Any] | None:
        if params.has("reply_parameters"):
            reply = params.json("reply_parameters", "can't parse reply parameters JSON object")
        elif params.has("reply_to_message_id"):
            reply = {
                "message_id": params.int("reply_to_message_id"),
                "allow_sending_without_reply": params.bool("allow_sending_without_reply"),
            }
        else:
            return None
        if not isinstance(reply, dict) or "message_id" not in reply:
            raise _bad("can't parse reply parameters JSON object")
        target_chat = chat["id"]
        if reply.get("chat_id") not in (None, ""):
            target_chat = self._chat_id_of(reply["chat_id"])
            if target_chat not in self._chats:
                raise _bad("chat not found")
        try:
            mid = int(reply["message_id"])
        except (TypeError, ValueError):
            raise _bad("can't parse reply parameters JSON object") from None
        msg = self._messages.get(target_chat, {}).get(mid)
        if msg is None:
            if reply.get("allow_sending_without_reply") in (True, "true"):
                return None
            raise _bad("message to be replied not found")
        return msg

    def _bot_message(
        self,
        chat: dict[str, Any],
        params: _Params,
        thread: int | None,
        reply_to: dict[str, Any] | None,
        markup: dict[str, Any] | None,
    ) -> dict[str, Any]:
        msg = self._message_base(chat, self.bot_user)
        if thread is not None:
            msg["message_thread_id"] = thread
            if chat.get("is_forum"):
                msg["is_topic_message"] = True
        if reply_to is not None:
            if reply_to["chat"]["id"] == chat["id"]:
                msg["reply_to_message"] = self._reply_copy(reply_to)
            else:
                msg["external_reply"] = {
                    "origin": {"type": "user", "sender_user": reply_to.get("from", {}), "date": reply_to["date"]},
                    "chat": reply_to["chat"],
                    "message_id": reply_to["message_id"],
                }
        elif thread is not None and chat.get("is_forum") and thread in self._messages.get(chat["id"], {}):
            msg["reply_to_message"] = self._reply_copy(self._messages[chat["id"]][thread])
        if markup is not None and "inline_keyboard" in markup:
            msg["reply_markup"] = copy.deepcopy(markup)
        if params.bool("protect_content"):
            msg["has_protected_content"] = True
        return msg

    def _record(self, method: str, chat: dict[str, Any], msg: dict[str, Any] | None, params: _Params, **fields: Any):
        record: dict[str, Any] = {
            "method": method,
            "chat_id": chat["id"],
            "message_id": msg["message_id"] if msg else params.int("message_id"),
            "text": None,
            "plain_text": None,
            "parse_mode": params.str("parse_mode"),
            "entities": (msg or {}).get("entities") or (msg or {}).get("caption_entities") or [],
            "reply_markup": params.json("reply_markup") if params.has("reply_markup") else None,
            "message_thread_id": params.int("message_thread_id"),
            "reply_to_message_id": ((msg or {}).get("reply_to_message") or {}).get("message_id")
            if params.has("reply_parameters") or params.has("reply_to_message_id")
            else None,
            "kind": _kind_of(msg) if msg else None,
            "caption": None,
            "file_id": None,
            "protect_content": params.bool("protect_content"),
            "disable_notification": params.bool("disable_notification"),
            "link_preview_options": params.json("link_preview_options") if params.has("link_preview_options") else None,
            "disable_web_page_preview": params.bool("disable_web_page_preview"),
            "time": time.time(),
        }
        record.update(fields)
        self._sent.append(record)
        return record

    def _file_param(self, params: _Params, name: str, accepted: set[str], kind: str) -> dict[str, Any]:
        if name in params.files:
            filename, _ctype, data = params.files[name]
            return {**self._new_file(kind, data=data), "filename": filename}
        value = params.str(name)
        if not value:
            raise _bad(f"there is no {name} in the request")
        if value.startswith("attach://"):
            attached = params.files.get(value[len("attach://") :])
            if attached is None:
                raise _bad("wrong file identifier/HTTP URL specified")
            return {**self._new_file(kind, data=attached[2]), "filename": attached[0]}
        if re.match(r"https?://", value):
            if not _valid_url(value):
                raise _bad("wrong file identifier/HTTP URL specified")
            return self._new_file(kind)  # never fetched
        record = self._files.get(value.strip())
        if record is None:
            raise _bad("wrong file identifier/HTTP URL specified")
        if record["kind"] not in accepted:
            raise _bad("type of file mismatch")
        return record

    def _scope_key(self, scope: Any) -> str:
        if scope in (None, "", {}):
            scope = {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise _bad("can't parse BotCommandScope JSON object")
        kind = scope["type"]
        key: dict[str, Any] = {"type": kind}
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat_id = self._chat_id_of(scope.get("chat_id", ""))
            if chat_id is None or chat_id not in self._chats:
                raise _bad("chat not found")
            key["chat_id"] = chat_id
        if kind == "chat_member":
            try:
                key["user_id"] = int(scope["user_id"])
            except (KeyError, TypeError, ValueError):
                raise _bad("can't parse BotCommandScope JSON object") from None
        return json.dumps(key, sort_keys=True)

    @staticmethod
    def _language(params: _Params) -> str:
        code = params.str("language_code") or ""
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise _bad("LANG_CODE_INVALID")
        return code

    # -- the methods ---------------------------------------------------------------------------------------

    def _method_table(self) -> dict[str, tuple[str, Callable[[_Params], Any]]]:
        names = {
            "getMe": self._get_me,
            "logOut": lambda p: True,
            "close": lambda p: True,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "pinChatMessage": self._pin_chat_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyName": lambda p: self._set_profile(p, "name", 64),
            "getMyName": lambda p: {"name": self._get_profile(p, "name") or self.bot_user["first_name"]},
            "setMyDescription": lambda p: self._set_profile(p, "description", 512),
            "getMyDescription": lambda p: {"description": self._get_profile(p, "description")},
            "setMyShortDescription": lambda p: self._set_profile(p, "short_description", 120),
            "getMyShortDescription": lambda p: {"short_description": self._get_profile(p, "short_description")},
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "createForumTopic": self._create_forum_topic,
            "editForumTopic": self._edit_forum_topic,
            "closeForumTopic": lambda p: self._close_forum_topic(p, True),
            "reopenForumTopic": lambda p: self._close_forum_topic(p, False),
            "deleteForumTopic": self._delete_forum_topic,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getFile": self._get_file,
        }
        for method in _MEDIA_METHODS:
            names[method] = lambda p, method=method: self._send_media(method, p)
        return {name.lower(): (name, fn) for name, fn in names.items()}

    def _get_me(self, params: _Params) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, params: _Params) -> list[dict[str, Any]]:
        offset = params.int("offset")
        limit = min(100, max(1, params.int("limit", 100) or 100))
        timeout = max(0.0, params.float("timeout", 0.0))
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
                "webhook first",
            )
        if params.has("allowed_updates"):
            allowed = params.json("allowed_updates", "can't parse allowed_updates JSON object")
            if not isinstance(allowed, list):
                raise _bad("can't parse allowed_updates JSON object")
            self._allowed_updates = frozenset(allowed) & UPDATE_TYPES or DEFAULT_UPDATE_TYPES
        if offset:
            if offset > 0:
                while self._updates and self._updates[0]["update_id"] < offset:
                    self._updates.popleft()
            else:
                while len(self._updates) > -offset:
                    self._updates.popleft()
        self._poll_generation += 1
        generation = self._poll_generation
        self._cond.notify_all()
        deadline = time.monotonic() + timeout
        while True:
            if self._stopping:
                return []
            if self._poll_generation != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                    record=False,
                )
            if self._webhook is not None:
                raise ApiError(409, "Conflict: terminated by setWebhook request")
            self._updates = deque(u for u in self._updates if self._update_type(u) in self._allowed_updates)
            if self._updates:
                return copy.deepcopy(list(itertools.islice(self._updates, limit)))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self._cond.wait(remaining)

    def _set_webhook(self, params: _Params) -> tuple[bool, str]:
        url = (params.str("url") or "").strip()
        if not url:
            return self._delete_webhook(params)
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        loopback = host == "localhost" or (_is_ip(host) and ipaddress.ip_address(host).is_loopback)
        if not host:
            raise _bad("bad webhook: Failed to resolve host: Name or service not known")
        if parts.scheme != "https" and not (loopback and parts.scheme == "http"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if not loopback and parts.port not in (None, 80, 88, 443, 8443):
            raise _bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = params.str("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad("secret token contains unallowed characters")
        max_connections = params.int("max_connections", 40)
        if not 1 <= max_connections <= 100:
            raise _bad("invalid max_connections specified")
        allowed = params.json("allowed_updates") if params.has("allowed_updates") else None
        if params.bool("drop_pending_updates"):
            self._updates.clear()
        same = self._webhook is not None and self._webhook["url"] == url
        self._webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": max_connections,
            "allowed": frozenset(allowed or ()) & UPDATE_TYPES or None,
            "allowed_updates": allowed,
            "ip_address": params.str("ip_address") or ("127.0.0.1" if loopback else "149.154.167.220"),
            "loopback": loopback,
        }
        self._webhook_retry_at = 0.0
        return True, "Webhook is already set" if same else "Webhook was set"

    def _delete_webhook(self, params: _Params) -> tuple[bool, str]:
        if params.bool("drop_pending_updates"):
            self._updates.clear()
        if self._webhook is None:
            return True, "Webhook is already deleted"
        self._webhook = None
        return True, "Webhook was deleted"

    def _get_webhook_info(self, params: _Params) -> dict[str, Any]:
        info: dict[str, Any] = {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._updates)}
        hook = self._webhook
        if hook is not None:
            info["url"] = hook["url"]
            info["max_connections"] = hook["max_connections"]
            info["ip_address"] = hook["ip_address"]
            if hook["allowed_updates"]:
                info["allowed_updates"] = hook["allowed_updates"]
            for key in ("last_error_date", "last_error_message"):
                if key in hook:
                    info[key] = hook[key]
        return info

    def _text_and_checks(self, params: _Params) -> tuple[str, list]:
        raw = params.str("text")
        if raw is None:
            raise _bad("message text is empty")
        text, entities = format_text(raw, params.str("parse_mode"), params.json("entities"), self.strict_html)
        if not text:
            raise _bad("message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise _bad("message is too long")
        return text, entities

    def _caption(self, params: _Params, name: str = "caption") -> tuple[str | None, list]:
        raw = params.str(name)
        if raw is None:
            return None, []
        text, entities = format_text(raw, params.str("parse_mode"), params.json(f"{name}_entities"), self.strict_html)
        if utf16_len(text) > MAX_CAPTION:
            raise _bad("message caption is too long")
        return (text or None), entities

    def _send_message(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params)
        thread = self._thread(chat, params)
        text, entities = self._text_and_checks(params)
        markup = self._markup(params)
        reply_to = self._reply_target(chat, params)
        msg = self._bot_message(chat, params, thread, reply_to, markup)
        msg["text"] = text
        if entities:
            msg["entities"] = entities
        if params.has("link_preview_options"):
            options = params.json("link_preview_options", "can't parse link preview options JSON object")
            if not isinstance(options, dict):
                raise _bad("can't parse link preview options JSON object")
            msg["link_preview_options"] = options
        elif params.bool("disable_web_page_preview"):
            msg["link_preview_options"] = {"is_disabled": True}
        self._store(msg)
        self._record("sendMessage", chat, msg, params, text=params.str("text"), plain_text=text)
        return copy.deepcopy(msg)

    def _send_media(self, method: str, params: _Params) -> dict[str, Any]:
        name, accepted = _MEDIA_METHODS[method]
        chat = self._chat(params)
        thread = self._thread(chat, params)
        file = self._file_param(params, name, accepted, name)
        caption, caption_entities = (None, []) if name == "sticker" else self._caption(params)
        markup = self._markup(params)
        reply_to = self._reply_target(chat, params)
        msg = self._bot_message(chat, params, thread, reply_to, markup)
        msg[name] = self._media_object(name, file, file.get("filename"))
        if caption:
            msg["caption"] = caption
            if caption_entities:
                msg["caption_entities"] = caption_entities
        self._store(msg)
        self._record(
            method, chat, msg, params, caption=params.str("caption"), plain_text=caption, file_id=file["file_id"]
        )
        return copy.deepcopy(msg)

    def _own_message(self, chat: dict[str, Any], params: _Params) -> dict[str, Any]:
        if params.has("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        mid = params.int("message_id")
        if mid is None:
            raise _bad("message identifier is not specified")
        msg = self._messages.get(chat["id"], {}).get(mid)
        if msg is None:
            raise _bad("message to edit not found")
        if msg.get("from", {}).get("id") != self.bot_id:
            raise _bad("message can't be edited")
        return msg

    def _edit_message_text(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params)
        msg = self._own_message(chat, params)
        if "text" not in msg:
            raise _bad("there is no text in the message to edit")
        text, entities = self._text_and_checks(params)
        markup = self._markup(params, inline_only=True)
        if text == msg["text"] and entities == msg.get("entities", []) and markup == msg.get("reply_markup"):
            raise _bad(_NOT_MODIFIED)
        msg["text"] = text
        msg.pop("entities", None)
        if entities:
            msg["entities"] = entities
        self._set_markup(msg, markup)
        msg["edit_date"] = _now()
        self._record("editMessageText", chat, msg, params, text=params.str("text"), plain_text=text)
        return copy.deepcopy(msg)

    def _edit_message_caption(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params)
        msg = self._own_message(chat, params)
        if "text" in msg:
            raise _bad("there is no caption in the message to edit")
        caption, entities = self._caption(params)
        markup = self._markup(params, inline_only=True)
        if caption == msg.get("caption") and entities == msg.get("caption_entities", []) and markup == msg.get(
            "reply_markup"
        ):
            raise _bad(_NOT_MODIFIED)
        msg.pop("caption", None)
        msg.pop("caption_entities", None)
        if caption:
            msg["caption"] = caption
            if entities:
                msg["caption_entities"] = entities
        self._set_markup(msg, markup)
        msg["edit_date"] = _now()
        self._record("editMessageCaption", chat, msg, params, caption=params.str("caption"), plain_text=caption)
        return copy.deepcopy(msg)

    def _edit_message_reply_markup(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params)
        msg = self._own_message(chat, params)
        markup = self._markup(params, inline_only=True)
        if not (markup or {}).get("inline_keyboard"):
            markup = None
        if markup == msg.get("reply_markup"):
            raise _bad(_NOT_MODIFIED)
        self._set_markup(msg, markup)
        msg["edit_date"] = _now()
        self._record("editMessageReplyMarkup", chat, msg, params)
        return copy.deepcopy(msg)

    @staticmethod
    def _set_markup(msg: dict[str, Any], markup: dict[str, Any] | None) -> None:
        if markup and markup.get("inline_keyboard"):
            msg["reply_markup"] = copy.deepcopy(markup)
        else:
            msg.pop("reply_markup", None)

    def _deletable(self, chat: dict[str, Any], msg: dict[str, Any]) -> bool:
        if msg.get("from", {}).get("id") == self.bot_id or chat["type"] == "private":
            return True
        return bool(self._chat_meta[chat["id"]].get("bot_is_admin"))

    def _delete_message(self, params: _Params) -> bool:
        chat = self._chat(params, writing=False)
        mid = params.int("message_id")
        msg = self._messages.get(chat["id"], {}).get(mid) if mid is not None else None
        if msg is None:
            raise _bad("message to delete not found")
        if not self._deletable(chat, msg) or "forum_topic_created" in msg:
            raise _bad("message can't be deleted")
        del self._messages[chat["id"]][mid]
        self._deleted.append({"chat_id": chat["id"], "message_id": mid, "time": time.time()})
        return True

    def _pin_chat_message(self, params: _Params) -> bool:
        chat = self._chat(params, writing=False)
        mid = params.int("message_id")
        if mid is None or self._messages.get(chat["id"], {}).get(mid) is None:
            raise _bad("message to pin not found")
        self._pinned[chat["id"]] = mid
        return True

    def _delete_messages(self, params: _Params) -> bool:
        chat = self._chat(params, writing=False)
        ids = params.json("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad("message_ids must be a non-empty array of at most 100 identifiers")
        found = False
        for raw in ids:
            msg = self._messages.get(chat["id"], {}).get(int(raw))
            if msg is not None and self._deletable(chat, msg):
                del self._messages[chat["id"]][int(raw)]
                self._deleted.append({"chat_id": chat["id"], "message_id": int(raw), "time": time.time()})
                found = True
        if not found:
            raise _bad("message to delete not found")
        return True

    def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.str("callback_query_id") or ""
        query = self._queries.get(query_id)
        if query is None or query["answered"]:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.str("text")
        if text is not None and utf16_len(text) > MAX_CALLBACK_ANSWER:
            raise _bad("MESSAGE_TOO_LONG")
        query["answered"] = True
        self._answers.append(
            {
                "callback_query_id": query_id,
                "user_id": query["user_id"],
                "text": text,
                "show_alert": params.bool("show_alert"),
                "url": params.str("url"),
                "time": time.time(),
            }
        )
        return True

    def _send_chat_action(self, params: _Params) -> bool:
        chat = self._chat(params)
        action = params.str("action") or ""
        if action not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        thread = self._thread(chat, params)
        self._actions.append(
            {"chat_id": chat["id"], "action": action, "message_thread_id": thread, "time": time.time()}
        )
        return True

    def _set_my_commands(self, params: _Params) -> bool:
        commands = params.json("commands", "can't parse commands JSON object")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands")
        clean = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand JSON object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name.lstrip("/")):
                raise _bad("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad("command description must be 1-256 characters long")
            clean.append({"command": name.lstrip("/"), "description": description})
        key = (self._scope_key(params.json("scope")), self._language(params))
        if clean:
            self._commands[key] = clean
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: _Params) -> list[dict[str, str]]:
        key = (self._scope_key(params.json("scope")), self._language(params))
        return copy.deepcopy(self._commands.get(key, []))

    def _delete_my_commands(self, params: _Params) -> bool:
        key = (self._scope_key(params.json("scope")), self._language(params))
        self._commands.pop(key, None)
        return True

    def _set_profile(self, params: _Params, field: str, limit: int) -> bool:
        value = params.str(field) or ""
        if len(value) > limit:
            raise _bad(f"bot {field.replace('_', ' ')} is too long")
        key = (field, self._language(params))
        if value:
            self._profile[key] = value
        else:
            self._profile.pop(key, None)
        return True

    def _get_profile(self, params: _Params, field: str) -> str:
        return self._profile.get((field, self._language(params)), "")

    def _source_message(self, params: _Params, what: str) -> tuple[dict[str, Any], dict[str, Any]]:
        source_chat = self._chat(params, "from_chat_id", writing=False)
        mid = params.int("message_id")
        msg = self._messages.get(source_chat["id"], {}).get(mid) if mid is not None else None
        if msg is None:
            raise _bad(f"message to {what} not found")
        if _kind_of(msg) is None:
            raise _bad(f"message can't be {'copied' if what == 'copy' else 'forwarded'}")
        if msg.get("has_protected_content"):
            raise _bad(f"message has protected content and can't be {'copied' if what == 'copy' else 'forwarded'}")
        return source_chat, msg

    def _copy_message(self, params: _Params) -> dict[str, int]:
        chat = self._chat(params)
        thread = self._thread(chat, params)
        _source_chat, source = self._source_message(params, "copy")
        markup = self._markup(params)
        reply_to = self._reply_target(chat, params)
        msg = self._bot_message(chat, params, thread, reply_to, markup)
        kind = _kind_of(source)
        for key in (*_CONTENT_KEYS, "entities", "caption", "caption_entities"):
            if key in source:
                msg[key] = copy.deepcopy(source[key])
        if kind in MEDIA_KINDS and params.raw("caption") is not None:
            caption, entities = self._caption(params)
            msg.pop("caption", None)
            msg.pop("caption_entities", None)
            if caption:
                msg["caption"] = caption
                if entities:
                    msg["caption_entities"] = entities
        self._store(msg)
        self._record(
            "copyMessage",
            chat,
            msg,
            params,
            text=msg.get("text"),
            plain_text=msg.get("text") or msg.get("caption"),
            caption=msg.get("caption"),
            file_id=_file_id_of(msg),
            from_chat_id=source["chat"]["id"],
            source_message_id=source["message_id"],
        )
        return {"message_id": msg["message_id"]}

    def _forward_message(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params)
        thread = self._thread(chat, params)
        source_chat, source = self._source_message(params, "forward")
        msg = self._bot_message(chat, params, thread, None, None)
        for key in (*_CONTENT_KEYS, "entities", "caption", "caption_entities"):
            if key in source:
                msg[key] = copy.deepcopy(source[key])
        if "forward_origin" in source:
            msg["forward_origin"] = copy.deepcopy(source["forward_origin"])
        elif source_chat["type"] == "private" or "from" in source:
            sender = copy.deepcopy(source["from"])
            msg["forward_origin"] = {"type": "user", "sender_user": sender, "date": source["date"]}
        else:
            msg["forward_origin"] = {"type": "chat", "sender_chat": copy.deepcopy(source_chat), "date": source["date"]}
        self._store(msg)
        self._record(
            "forwardMessage",
            chat,
            msg,
            params,
            text=msg.get("text"),
            plain_text=msg.get("text") or msg.get("caption"),
            caption=msg.get("caption"),
            file_id=_file_id_of(msg),
            from_chat_id=source_chat["id"],
            source_message_id=source["message_id"],
        )
        return copy.deepcopy(msg)

    def _forum(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params)
        if not chat.get("is_forum"):
            raise _bad("the chat is not a forum")
        return chat

    def _topic(self, chat: dict[str, Any], params: _Params) -> dict[str, Any]:
        thread = params.int("message_thread_id")
        topic = self._topics.get(chat["id"], {}).get(thread) if thread is not None else None
        if topic is None:
            raise _bad("message thread not found")
        return topic

    def _service(self, chat: dict[str, Any], thread: int | None, **content: Any) -> dict[str, Any]:
        msg = self._message_base(chat, self.bot_user)
        if thread is not None:
            msg["message_thread_id"] = thread
            msg["is_topic_message"] = True
        msg.update(content)
        return msg

    def _create_forum_topic(self, params: _Params) -> dict[str, Any]:
        chat = self._forum(params)
        name = (params.str("name") or "").strip()
        if not name:
            raise _bad("TOPIC_TITLE_EMPTY")
        if len(name) > 128:
            raise _bad("TOPIC_TITLE_TOO_LONG")
        color = params.int("icon_color", FORUM_ICON_COLORS[0])
        if color not in FORUM_ICON_COLORS:
            raise _bad("TOPIC_ICON_COLOR_INVALID")
        topic: dict[str, Any] = {"name": name, "icon_color": color}
        if params.has("icon_custom_emoji_id"):
            topic["icon_custom_emoji_id"] = params.str("icon_custom_emoji_id")
        msg = self._message_base(chat, self.bot_user)
        thread = msg["message_id"]
        msg.update({"message_thread_id": thread, "is_topic_message": True, "forum_topic_created": dict(topic)})
        self._store(msg)
        self._topics.setdefault(chat["id"], {})[thread] = {"message_thread_id": thread, **topic, "is_closed": False}
        return {"message_thread_id": thread, **topic}

    def _edit_forum_topic(self, params: _Params) -> bool:
        chat = self._forum(params)
        topic = self._topic(chat, params)
        changes: dict[str, Any] = {}
        if params.raw("name") is not None:
            name = (params.str("name") or "").strip()
            if not name or len(name) > 128:
                raise _bad("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_TOO_LONG")
            changes["name"] = name
        if params.raw("icon_custom_emoji_id") is not None:
            changes["icon_custom_emoji_id"] = params.str("icon_custom_emoji_id")
        if all(topic.get(k) == v for k, v in changes.items()):
            raise _bad("TOPIC_NOT_MODIFIED")
        topic.update(changes)
        self._store(self._service(chat, topic["message_thread_id"], forum_topic_edited=changes))
        return True

    def _close_forum_topic(self, params: _Params, close: bool) -> bool:
        chat = self._forum(params)
        topic = self._topic(chat, params)
        if topic["is_closed"] == close:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic["is_closed"] = close
        key = "forum_topic_closed" if close else "forum_topic_reopened"
        self._store(self._service(chat, topic["message_thread_id"], **{key: {}}))
        return True

    def _delete_forum_topic(self, params: _Params) -> bool:
        chat = self._forum(params)
        topic = self._topic(chat, params)
        thread = topic["message_thread_id"]
        del self._topics[chat["id"]][thread]
        box = self._messages[chat["id"]]
        for mid in [m for m, msg in box.items() if msg.get("message_thread_id") == thread]:
            del box[mid]
        return True

    def _get_chat(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params, writing=False)
        info = copy.deepcopy(chat)
        info.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        return info

    def _get_chat_member(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params, writing=False)
        user_id = params.int("user_id")
        if user_id == self.bot_id:
            return {"user": dict(self.bot_user), "status": "member"}
        if user_id is None or user_id not in self._users or (chat["type"] == "private" and user_id != chat["id"]):
            raise _bad("user not found")
        return {"user": copy.deepcopy(self._users[user_id]), "status": "member"}

    def _get_file(self, params: _Params) -> dict[str, Any]:
        record = self._files.get((params.str("file_id") or "").strip())
        if record is None:
            raise _bad("invalid file_id")
        return {k: record[k] for k in ("file_id", "file_unique_id", "file_size", "file_path")}


def _kind_of(msg: dict[str, Any] | None) -> str | None:
    if not msg:
        return None
    if "animation" in msg:
        return "animation"
    return next((k for k in _CONTENT_KEYS if k in msg), None)


def _file_id_of(msg: dict[str, Any]) -> str | None:
    kind = _kind_of(msg)
    if kind not in MEDIA_KINDS:
        return None
    media = msg[kind]
    return media[-1]["file_id"] if isinstance(media, list) else media["file_id"]
