"""`./rahnama ask`: JSON Lines in, JSON Lines out, through the same pipeline as Telegram.

Input: {"id": "...", "text": "...", "conversation": optional, "telegram_language_code": optional}.
Lines of one conversation are answered in order; different conversations run concurrently.
Output lines come in input order, one per input line, as soon as each is ready.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from typing import Any, TextIO

import httpx

from rahnama_core.channel import RasaClient, RasaReply, prepare_text
from rahnama_core.render import visible

CONCURRENCY = 4

def result_line(item_id: Any, reply: RasaReply) -> dict[str, Any]:
    meta = reply.meta
    return {
        "id": item_id,
        "language": meta.get("language"),
        "language_confidence": float(meta.get("language_confidence") or 0.0),
        "intent": meta.get("intent"),
        "intent_confidence": float(meta.get("intent_confidence") or 0.0),
        "topic": meta.get("topic"),
        "escalated": bool(meta.get("escalated")),
        "priority": meta.get("priority"),
        "replies": [
            {"text": visible(r["text"]), "buttons": [{"title": b["title"], "payload": b["payload"]} for b in r["buttons"]]}
            for r in reply.replies
        ],
    }


def read_line(raw: str) -> dict[str, Any] | str:
    """An input line as a JSON object, or why it is not one."""
    try:
        item = json.loads(raw)
    except ValueError as error:
        return f"invalid input line: {error}"
    return item if isinstance(item, dict) else "invalid input line: a line must be a JSON object"


async def answer_one(client: RasaClient, item: dict[str, Any] | str, sender: str | None,
                     limit: asyncio.Semaphore) -> dict[str, Any]:
    if isinstance(item, str):
        return {"id": None, "error": item, "replies": []}
    item_id = item.get("id")
    text = item.get("text")
    if text is not None and not isinstance(text, str):
        text = json.dumps(text, ensure_ascii=False)
    metadata: dict[str, Any] = {}
    if item.get("telegram_language_code"):
        metadata["telegram_language_code"] = str(item["telegram_language_code"])
    conversation = sender or f"ask-{uuid.uuid4().hex}"
    async with limit:
        for attempt in range(3):
            try:
                reply = await client.send(conversation, prepare_text(text), metadata)
                return result_line(item_id, reply)
            except httpx.HTTPError as error:
                last_error = error
                await asyncio.sleep(0.5 * (attempt + 1))
    return {"id": item_id, "error": f"the assistant did not answer: {type(last_error).__name__}", "replies": []}


async def run_ask(rasa_url: str, source: TextIO = sys.stdin, sink: TextIO = sys.stdout) -> int:
    client = RasaClient(rasa_url)
    limit = asyncio.Semaphore(CONCURRENCY)
    loop = asyncio.get_running_loop()
    pending: asyncio.Queue[asyncio.Task[dict[str, Any]] | None] = asyncio.Queue()
    last_of_conversation: dict[str, asyncio.Task[dict[str, Any]]] = {}

    async def chained(previous: asyncio.Task[dict[str, Any]] | None, item: dict[str, Any] | str,
                      sender: str | None) -> dict[str, Any]:
        if previous is not None:
            await asyncio.wait([previous])
        return await answer_one(client, item, sender, limit)

    async def reader() -> None:
        while True:
            raw = await loop.run_in_executor(None, source.readline)
            if not raw:
                break
            if not raw.strip():
                continue
            item = read_line(raw)
            conversation = item.get("conversation") if isinstance(item, dict) else None
            sender = f"ask-{conversation}" if conversation is not None else None
            task = asyncio.create_task(chained(last_of_conversation.get(sender) if sender else None, item, sender))
            if sender:
                last_of_conversation[sender] = task
            await pending.put(task)
        await pending.put(None)

    async def writer() -> int:
        count = 0
        while (task := await pending.get()) is not None:
            sink.write(json.dumps(await task, ensure_ascii=False) + "\n")
            sink.flush()
            count += 1
        return count

    try:
        _, count = await asyncio.gather(reader(), writer())
    finally:
        await client.close()
    return count
