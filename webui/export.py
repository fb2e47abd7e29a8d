"""Search results and whole conversations as files to keep or share: Markdown, CSV and JSON.

Each row names the article (title, source, date, id), the span of its text that was shown or cited,
that text, and a link that opens the article at the span. Links are absolute when the app's address
is known (``app_base`` of ``st.context.url``), relative otherwise. Text from articles stays text in
every format: Markdown special characters are escaped (a title cannot become an image that a Markdown
viewer fetches), and CSV cells that a spreadsheet would read as a formula start with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from webui.links import article_href
from webui.resources import escape_markdown

RESULT_FIELDS = ("rank", "title", "source", "published", "author", "article_id", "start", "end", "passage",
                 "also_reported_by", "link")
CONVERSATION_FIELDS = ("turn", "question", "answer", "n", "title", "source", "published", "article_id", "start",
                       "end", "quote", "said_by", "checked", "answers_question", "link")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def app_base(url: str | None) -> str:
    """The app's root address from the address of one of its pages ('' when unknown)."""
    if not url:
        return ""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def link(base: str, article_id: str, start: int | None = None, end: int | None = None) -> str:
    """The article view at a span, under the app's address when it is known."""
    return base + article_href(article_id, start, end)


def result_rows(hits: Sequence, base: str = "") -> list[dict]:
    """One row per search result: the article, its first highlighted span (else its passage), and a link."""
    rows = []
    for rank, hit in enumerate(hits, 1):
        a, chunk = hit.article, hit.chunk
        start, end = hit.highlights[0] if hit.highlights else (chunk.start, chunk.end)
        rows.append({
            "rank": rank, "title": a.title, "source": a.source, "published": a.published_at[:10], "author": a.author,
            "article_id": a.id, "start": start, "end": end, "passage": chunk.text[start - chunk.start:end - chunk.start],
            "also_reported_by": "; ".join(f"{o.source or o.title} ({o.id})" for o in hit.also),
            "link": link(base, a.id, start, end),
        })
    return rows


def conversation_rows(turns: Sequence, base: str = "") -> list[dict]:
    """One row per citation of every answer; a refused or uncited answer is one row without a source."""
    rows = []
    for turn, answer in enumerate(turns, 1):
        head = {"turn": turn, "question": answer.question, "answer": answer.text}
        by_n = {s.n: s.article for s in answer.sources}
        cited = [c for c in answer.citations if c.n in by_n]
        for c in cited:
            a = by_n[c.n]
            rows.append({**head, "n": c.n, "title": a.title, "source": a.source, "published": a.published_at[:10],
                         "article_id": a.id, "start": c.start, "end": c.end, "quote": c.quote,
                         "said_by": answer.said_by(c), "checked": c.label, "answers_question": answer.answers_question,
                         "link": link(base, a.id, c.start, c.end)})
        if not cited:
            rows.append({**head, **{f: "" for f in CONVERSATION_FIELDS if f not in head}})
    return rows


def to_csv(rows: Sequence[dict], fields: Sequence[str]) -> str:
    """CSV with a header; a text cell that starts like a formula ('=', '+', '-', '@') is kept as text."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(fields), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
                         for k, v in row.items()})
    return out.getvalue()


def to_json(kind: str, query: str, rows: Sequence[dict]) -> str:
    """``{"kind": …, "query": …, "rows": [...]}``, indented, non-ASCII kept."""
    return json.dumps({"kind": kind, "query": query, "rows": list(rows)}, ensure_ascii=False, indent=2) + "\n"


def results_markdown(query: str, rows: Sequence[dict]) -> str:
    """The results as a numbered Markdown list, each with its passage quoted and a link to it."""
    lines = [f"# Search: {_md(query)}", ""]
    for r in rows:
        lines += [f"{r['rank']}\\. **{_md(r['title'])}**{_meta(r)}", "",
                  f"> {_md(' '.join(r['passage'].split()))}", "",
                  f"[Open at characters {r['start']}–{r['end']}]({r['link']}) · article `{r['article_id']}`", ""]
        if r["also_reported_by"]:
            lines += [f"Also reported by: {_md(r['also_reported_by'])}", ""]
    return "\n".join(lines).rstrip() + "\n"


def conversation_markdown(rows: Sequence[dict]) -> str:
    """The conversation turn by turn: the question, the answer, and each cited passage with its link."""
    lines = ["# Conversation", ""]
    turn = None
    for r in rows:
        if r["turn"] != turn:
            turn = r["turn"]
            lines += [f"## {turn}\\. {_md(r['question'])}", "", _md(r["answer"]), ""]
        if r["n"] != "":
            check = _md(r["checked"] + (f" · said by {r['said_by']}" if r["said_by"] else ""))
            lines += [f"\\[{r['n']}\\] **{_md(r['title'])}**{_meta(r)}", "", f"> {_md(' '.join(r['quote'].split()))}",
                      "", f"[Open at characters {r['start']}–{r['end']}]({r['link']}) · {check}", ""]
    return "\n".join(lines).rstrip() + "\n"


def _meta(row: dict) -> str:
    known = " · ".join(_md(x) for x in (row.get("source", ""), row.get("published", "")) if x)
    return f" ({known})" if known else ""


def _md(text: str) -> str:
    return escape_markdown(text).replace("  \n", " ")
