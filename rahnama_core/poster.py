"""`./rahnama poster`: a printable page per language (HTML, so browsers shape Arabic script correctly) with
the QR code of the bot's deep link (`t.me/<bot>?start=<lang>`) and a one-line invitation in that language."""

from __future__ import annotations

import html
import io
from pathlib import Path

import qrcode
import qrcode.image.svg

from rahnama_core.content import ContentStore
from rahnama_core.language import LANGUAGES, NATIVE_NAMES
from rahnama_core.render import RTL_LANGUAGES


def deep_link(bot_username: str, language: str, topic: str | None = None) -> str:
    payload = f"{language}-{topic}" if topic else language
    return f"https://t.me/{bot_username}?start={payload}"


def qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=20, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    return svg[svg.index("<svg"):]


def write_posters(bot_username: str, out: Path, topic: str | None = None) -> list[Path]:
    content = ContentStore()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for language in LANGUAGES:
        link = deep_link(bot_username, language, topic)
        direction = "rtl" if language in RTL_LANGUAGES else "ltr"
        page = f"""<!doctype html>
<html lang="{language}" dir="{direction}"><head><meta charset="utf-8">
<title>{html.escape(content.ui(language, "poster_title"))}</title>
<style>
@page {{ size: A4; margin: 18mm; }}
body {{ font-family: "Noto Sans", "Noto Naskh Arabic", "Noto Nastaliq Urdu", sans-serif; text-align: center; }}
h1 {{ font-size: 30pt; margin: 0 0 8mm; }} p {{ font-size: 20pt; line-height: 1.6; }}
.qr svg {{ width: 110mm; height: 110mm; }} .link {{ font-size: 12pt; direction: ltr; unicode-bidi: isolate; }}
.language {{ font-size: 16pt; color: #555; }}
</style></head><body>
<div class="language">{html.escape(NATIVE_NAMES[language])}</div>
<h1>{html.escape(content.ui(language, "poster_title"))}</h1>
<p>{html.escape(content.ui(language, "poster_invitation"))}</p>
<div class="qr">{qr_svg(link)}</div>
<div class="link">{html.escape(link)}</div>
</body></html>
"""
        path = out / f"poster-{language}.html"
        path.write_text(page, encoding="utf-8")
        written.append(path)
    return written
