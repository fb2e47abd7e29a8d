"""Where the pages live and how one page links to an article at a passage."""

from __future__ import annotations

from urllib.parse import urlencode

SEARCH = "pages/search.py"
ASK = "pages/ask.py"
LIBRARY = "pages/library.py"
LOOKUP = "pages/lookup.py"
ADD = "pages/add.py"
FEEDS = "pages/feeds.py"
WATCHES = "pages/watches.py"
LIBRARY_URL = "library"  # the URL path st.navigation gives pages/library.py


def article_params(article_id: str, start: int | None = None, end: int | None = None) -> dict[str, str]:
    """Query parameters of the article view, with the span to highlight when one is given."""
    params = {"article": article_id}
    if start is not None and end is not None and 0 <= start < end:
        params |= {"start": str(start), "end": str(end)}
    return params


def article_href(article_id: str, start: int | None = None, end: int | None = None) -> str:
    """A relative link to the article view (relative, so it works under any server.baseUrlPath)."""
    return f"{LIBRARY_URL}?{urlencode(article_params(article_id, start, end))}"
