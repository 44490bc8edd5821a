"""Rasa input channel for our gateways (Telegram gateway, `./rahnama ask`, terminal chat).

Like Rasa's REST channel, but a message is returned whole (Rasa's collector splits text at blank lines,
which would cut an answer into many Telegram messages), it never logs message text, and a failure
returns HTTP 500 so the gateway can retry instead of showing nothing.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response

from connectors import action_validation
from sanic.request import Request
from sanic.response import HTTPResponse

log = logging.getLogger(__name__)
action_validation.install()


class WholeMessageCollector(CollectingOutputChannel):
    """Collects the bot's messages without splitting their text."""

    @classmethod
    def name(cls) -> Text:
        return "rahnama"

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text))


class RahnamaInput(InputChannel):
    """POST /webhooks/rahnama/webhook with {"sender", "message", "metadata"}; returns the bot's messages."""

    @classmethod
    def name(cls) -> Text:
        return "rahnama"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("rahnama_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body: Dict[Text, Any] = request.json or {}
            sender = str(body.get("sender") or "")
            text = body.get("message")
            if not sender or not isinstance(text, str):
                return response.json({"error": "sender and message are required"}, status=400)
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            collector = WholeMessageCollector()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
                )
            except Exception as error:  # the message text is never logged
                log.error("processing a message failed: %s", type(error).__name__)
                return response.json({"error": "processing failed"}, status=500)
            return response.json(collector.messages)

        return webhook
