"""How a page describes an article in one line: what is known of it, and nothing for what is not."""

from __future__ import annotations

from pathlib import PurePath
from urllib.parse import urlsplit

from webui.uploads import origin_file


def origin_name(origin: str) -> str:
    """The file name (or the web site) an article came from: 'harbour.html', 'feed.jsonl', 'example.org'."""
    if origin.lower().startswith(("http://", "https://")):
        return urlsplit(origin).hostname or origin
    return PurePath(origin_file(origin).replace("\\", "/")).name or origin


def meta_line(article, with_author: bool = True) -> str:
    """Source · date · author, as far as they are known; the origin's name when none is."""
    known = [article.source, article.published_at[:10], article.author if with_author else ""]
    return " · ".join(x for x in known if x) or origin_name(article.origin)
