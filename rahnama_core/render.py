"""Content Markdown to Telegram's HTML subset, in parts that fit one Telegram message.

Markdown subset: paragraphs, `**bold**`, `*italic*`, `[text](https://...)`, lines starting with `- `.
In right-to-left languages, Latin runs (IOM, URLs, numbers) are wrapped in Unicode isolates so they
display in the right order inside Arabic-script text.
"""

from __future__ import annotations

import html
import re

TELEGRAM_LIMIT = 4096
RTL_LANGUAGES = frozenset({"ar", "fa", "ps", "ur"})
FSI, PDI = "\u2068", "\u2069"

_INLINE = re.compile(
    r"\*\*(?P<bold>.+?)\*\*"
    r"|\[(?P<label>[^\]\n]+)\]\((?P<url>https?://[^)\s]+)\)"
    r"|(?<![\w*])\*(?!\s)(?P<italic>[^*\n]+?)(?<!\s)\*(?![\w*])"
)
# A run of left-to-right text: Latin letters or digits, with the spaces and punctuation between them;
# brackets stay outside, so the right-to-left text around them mirrors them correctly.
_LTR_RUN = re.compile(r"[A-Za-z0-9\u00C0-\u024F](?:[A-Za-z0-9\u00C0-\u024F .,:;/@+\-'’&?=%#_~]*[A-Za-z0-9\u00C0-\u024F])?")
_SENTENCE_END = re.compile(r"(?<=[.!?؟۔])\s+")


def _text(raw: str, rtl: bool) -> str:
    if rtl:
        raw = _LTR_RUN.sub(lambda m: FSI + m.group(0) + PDI, raw)
    return html.escape(raw, quote=False)


def render_inline(text: str, rtl: bool = False) -> str:
    """One line of the Markdown subset as Telegram HTML."""
    out: list[str] = []
    pos = 0
    for match in _INLINE.finditer(text):
        out.append(_text(text[pos : match.start()], rtl))
        if match.group("bold") is not None:
            out.append(f"<b>{render_inline(match.group('bold'), rtl)}</b>")
        elif match.group("label") is not None:
            url = html.escape(match.group("url"), quote=True)
            out.append(f'<a href="{url}">{_text(match.group("label"), rtl)}</a>')
        else:
            out.append(f"<i>{_text(match.group('italic'), rtl)}</i>")
        pos = match.end()
    out.append(_text(text[pos:], rtl))
    return "".join(out)


def render_paragraph(paragraph: str, rtl: bool = False) -> str:
    lines = []
    for line in paragraph.splitlines():
        stripped = line.strip()
        if stripped.startswith(("- ", "* ")):
            lines.append("• " + render_inline(stripped[2:].strip(), rtl))
        else:
            lines.append(render_inline(stripped, rtl))
    return "\n".join(lines)


def paragraphs(markdown: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", markdown.strip()) if p.strip()]


def render(markdown: str, language: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Markdown as Telegram HTML messages, split at paragraph boundaries, each under `limit` characters."""
    rtl = language in RTL_LANGUAGES
    pieces: list[str] = []
    for paragraph in paragraphs(markdown):
        rendered = render_paragraph(paragraph, rtl)
        if len(rendered) <= limit:
            pieces.append(rendered)
            continue
        for chunk in _split_long(paragraph, limit):
            pieces.append(render_paragraph(chunk, rtl))
    parts: list[str] = []
    for piece in pieces:
        if parts and len(parts[-1]) + 2 + len(piece) <= limit:
            parts[-1] += "\n\n" + piece
        else:
            parts.append(piece)
    return parts


def _split_long(paragraph: str, limit: int) -> list[str]:
    """Split one over-long paragraph at sentence, then word boundaries (markup-free pieces under the limit)."""
    budget = limit // 2  # rendering adds tags, entities and isolates
    chunks: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(paragraph):
        words = sentence.split(" ") if len(sentence) > budget else [sentence]
        for word in words:
            while len(word) > budget:
                if current:
                    chunks.append(current)
                    current = ""
                chunks.append(word[:budget])
                word = word[budget:]
            joiner = " " if current else ""
            if len(current) + len(joiner) + len(word) > budget:
                chunks.append(current)
                current = word
            else:
                current += joiner + word
    if current:
        chunks.append(current)
    return chunks


def plain_text(rendered_html: str) -> str:
    """What a person sees of a rendered message (tags removed, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", rendered_html))


_ISOLATES = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069"), None)


def visible(rendered_html: str) -> str:
    """A reply as plain text for places without Telegram: also without the invisible isolates."""
    return plain_text(rendered_html).translate(_ISOLATES)
