"""`./rahnama run` without a Telegram token: a terminal chat on the same pipeline as Telegram.

Right-to-left replies are reordered and shaped for terminals that do not do it themselves
(`--no-bidi` for terminals that do), and right-aligned. Buttons are numbered: type the number to press one.
"""

from __future__ import annotations

import asyncio
import shutil
import textwrap
import uuid

from rahnama_core.render import visible
from rahnama_core.channel import Prepared, RasaClient, is_our_payload, prepare_text
from rahnama_core.language import script_of


def display(line: str, bidi: bool, prefix: str = "") -> str:
    """A line as the terminal should print it: right-to-left text is wrapped first (so wrapped lines keep
    their order), then shaped, put in visual order and right-aligned."""
    width = shutil.get_terminal_size((80, 20)).columns - 1
    if not bidi or script_of(line) != "arabic":
        return prefix + line
    import arabic_reshaper
    from bidi.algorithm import get_display

    rows = textwrap.wrap(line, width=max(20, width - len(prefix) - 1)) or [""]
    shown = [get_display(arabic_reshaper.reshape(row)) for row in rows]
    return "\n".join((text + (" " + prefix.strip() if prefix and i == 0 else "")).rjust(width)
                     for i, text in enumerate(shown))


async def run_chat(rasa_url: str, bidi: bool = True) -> int:
    client = RasaClient(rasa_url)
    sender = f"terminal-{uuid.uuid4().hex}"
    buttons: list[dict[str, str]] = []
    print("Rahnama: write in Arabic, Farsi/Dari, Pashto, Urdu, French or English. Ctrl-D or Ctrl-C ends.")
    try:
        prepared = prepare_text("/start")
        while True:
            reply = await client.send(sender, prepared)
            buttons = []
            for message in reply.replies:
                print()
                for line in visible(message["text"]).splitlines():
                    print(display(line, bidi))
                for button in message["buttons"]:
                    buttons.append(button)
                    print(display(button["title"], bidi, prefix=f"  [{len(buttons)}] "))
            print()
            try:
                text = await asyncio.get_running_loop().run_in_executor(None, input, "> ")
            except EOFError:
                return 0
            choice = text.strip()
            if choice.isdigit() and 1 <= int(choice) <= len(buttons) and is_our_payload(buttons[int(choice) - 1]["payload"]):
                prepared = Prepared(buttons[int(choice) - 1]["payload"])
            else:
                prepared = prepare_text(text)
    finally:
        await client.close()
