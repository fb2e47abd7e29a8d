"""Marked text as HTML: the article's characters escaped and made inert, the highlighted spans in <mark>."""

from __future__ import annotations

import re

# HTML's five special characters as html.escape writes them, and every character that starts Markdown
# syntax (links, images, emphasis, code, math, tables, headings) as a numeric reference: Markdown decodes
# a reference into plain text and never reads it as syntax.
_INERT = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
    | {c: f"&#{ord(c)};" for c in "[]!*_`~$#|\\:@"}
)


# GitHub-flavoured Markdown turns "https://…", "www.…" and "a@b.org" into links after parsing, in the
# decoded text, so no escape stops it: an empty <wbr> splits the text where the pattern would start.
_AUTOLINK = re.compile(r"(?i)\b(https?)(?=&#58;//)|\b(www)(?=\.)|(?=&#64;)")


def inert(text: str) -> str:
    """``text`` as HTML that a Markdown renderer shows as the same characters: no tag, link or image can form."""
    return _AUTOLINK.sub(lambda m: (m.group(1) or m.group(2) or "") + "<wbr>", text.translate(_INERT))


def marked_html(text: str, spans: tuple[tuple[int, int], ...], offset: int = 0) -> str:
    """``text`` made inert (``inert``) with ``<mark>`` around each span (spans in coordinates ``offset`` based)."""
    out, pos = [], 0
    for start, end in sorted(spans):
        start, end = max(start - offset, pos), min(end - offset, len(text))
        if start >= end:
            continue
        out += [inert(text[pos:start]), "<mark>", inert(text[start:end]), "</mark>"]
        pos = end
    out.append(inert(text[pos:]))
    return "".join(out).replace("\n", "<br>")
