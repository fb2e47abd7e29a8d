"""The HTTP API's routes: each returns what the matching ``python -m archive ... --json`` prints.

The JSON of every endpoint is built by archive/cli/shapes.py, the functions the command line uses.
Requests are served by threads sharing one ``Archive`` (as the app's sessions do); each waits at most
``api_timeout_s`` for its answer. Until the archive is open (the model loaded, derived indexes built
or rebuilt) every /api path answers 503 with Retry-After.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from archive import Answered, Archive, SourcesFound, Token
from archive.api import docs, errors, writes
from archive.api.guard import Guard
from archive.cli.shapes import (
    ARTICLES_PAGE,
    answer_json,
    article_json,
    articles_json,
    ask_json,
    lookup_json,
    make_filters,
    search_json,
    stats_json,
    watches_json,
)
from archive.settings import Settings

log = logging.getLogger("archive.api")
T = TypeVar("T")
Text = Annotated[str, Query(min_length=1, max_length=2000)]
Names = Annotated[list[str], Query()]


def encoded(data: Any) -> bytes:
    """``data`` as JSON bytes: orjson, or the standard library for what orjson refuses (such as an int too large)."""
    import orjson

    try:
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(data, ensure_ascii=False).encode("utf-8")


class Opening:
    """The archive the API serves, opened once in the background (model, store, derived indexes)."""

    def __init__(self, settings: Settings, archive: Archive | None):
        self.settings = settings
        self.archive = archive
        self.problem: str | None = None if archive is not None else "the archive is opening (loading the model, " \
            "building or rebuilding its indexes); try again in a few seconds"

    def open(self) -> None:
        try:
            archive = Archive(self.settings)
            archive.search("warm up", k=1)  # loads the model and the in-memory index: the first client waits for neither
            self.archive, self.problem = archive, None
        except Exception as e:  # noqa: BLE001 - reported to every client as a 503, and logged
            log.exception("the archive could not be opened")
            self.problem = f"the archive could not be opened: {e}"

    def ready(self) -> str | None:
        return self.problem


def create_app(settings: Settings, archive: Archive | None = None) -> FastAPI:
    """The API over ``archive`` (or one opened from ``settings`` in the background)."""
    state = Opening(settings, archive)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if state.archive is None:
            threading.Thread(target=state.open, name="open-archive", daemon=True).start()
        yield

    app = FastAPI(title="News archive API", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Search, ask and look up the archive; every JSON shape is the command line's "
                  "(`python -m archive ... --json`). Writes need a bearer token. See docs/api.md.")
    app.add_middleware(Guard, settings=settings, ready=state.ready)
    errors.install(app)
    if settings.api_docs:
        docs.install(app)

    async def call(fn: Callable[[], T]) -> T:
        """Run a facade call in a worker thread, for at most ``api_timeout_s``."""
        try:
            return await asyncio.wait_for(run_in_threadpool(fn), timeout=settings.api_timeout_s)
        except TimeoutError:
            raise HTTPException(503, f"the answer took longer than {settings.api_timeout_s:g} s "
                                "(ARCHIVE_API_TIMEOUT_S); try a narrower request", {"Retry-After": "5"}) from None

    async def answer(fn: Callable[[], dict]) -> Response:
        """A facade call's JSON as it is: FastAPI's encoder would walk every hit again (the shapes are plain JSON).
        It is encoded in the worker thread, by orjson (Chroma's own dependency), so the event loop that serves every
        other client never waits on a large response's encoding."""
        body = await call(lambda: encoded(fn()))
        return Response(body, media_type="application/json")

    def bounded(k: int) -> int:
        if k > settings.api_max_k:
            raise HTTPException(400, f"k is at most {settings.api_max_k} (ARCHIVE_API_MAX_K), got {k}")
        return k

    def words(time_words: bool) -> bool | None:
        return None if time_words else False  # as the CLI's --no-time-words

    @app.get("/api/search", summary="The best articles for a query (python -m archive search --json)")
    async def search(q: Text, k: Annotated[int, Query(ge=1)] = 10, source: Names = (), since: str = "",
                     until: str = "", entity: Names = (), as_of: str = "", time_words: bool = True,
                     facets: bool = False) -> dict[str, Any]:
        filters = make_filters(source, since, until, entity)
        return await answer(lambda: search_json(state.archive, q, bounded(k), filters, as_of, words(time_words), facets))

    @app.get("/api/ask", summary="A cited answer (python -m archive ask --json); streamed with Accept: text/event-stream")
    async def ask(request: Request, q: Text, source: Names = (), since: str = "", until: str = "", as_of: str = "",
                  time_words: bool = True):
        filters = make_filters(source, since, until)
        if "text/event-stream" in request.headers.get("accept", ""):
            events = _sse(state.archive, q, filters, as_of, words(time_words), settings.api_timeout_s)
            return StreamingResponse(events, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        return await answer(lambda: ask_json(state.archive, q, filters, as_of, words(time_words)))

    @app.get("/api/lookup", summary="Where a phrase occurs, with its speaker (python -m archive lookup --json)")
    async def lookup(q: Text, k: Annotated[int, Query(ge=1)] = 10, exact: bool = False, as_of: str = ""):
        return await answer(lambda: lookup_json(state.archive, q, bounded(k), not exact, as_of))

    @app.get("/api/articles", summary="Every article's metadata, newest first (python -m archive articles --json)")
    async def articles(source: Names = (), since: str = "", until: str = "",
                       limit: Annotated[int, Query(ge=1, le=1000)] = ARTICLES_PAGE,
                       offset: Annotated[int, Query(ge=0)] = 0):
        filters = make_filters(source, since, until)
        return await answer(lambda: articles_json(state.archive, filters, limit, offset))

    @app.get("/api/articles/{article_id:path}", summary="One article with passages and story (python -m archive "
             "article ID --json)")
    async def article(article_id: str):
        return await answer(lambda: article_json(state.archive, article_id))

    @app.get("/api/stats", summary="Size, sources, dates and index (python -m archive stats --json)")
    async def stats():
        return await answer(lambda: stats_json(state.archive))

    @app.get("/api/watches", summary="Every watch with its new matches first (python -m archive watches --json)")
    async def watches(new: bool = False):
        return await answer(lambda: watches_json([w for w in state.archive.watches() if w.new or not new]))

    @app.get("/api/watches/{name}.atom", summary="A watch as an Atom 1.0 feed", response_class=Response)
    async def watch_atom(request: Request, name: str):
        base = str(request.base_url).rstrip("/")
        atom = await call(lambda: state.archive.watch_atom(name, base))
        return Response(atom, media_type="application/atom+xml; charset=utf-8")

    @app.post("/api/ingest", summary="Ingest a URL or posted records (a write: needs a bearer token)")
    async def ingest(request: Request):
        writer = await call(lambda: writes.require_writer(request, state.archive))
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError as e:
            raise HTTPException(400, f"the body is not valid JSON: {e}") from None
        path, records = writes.ingest_request(body, settings)
        log.info("ingest by %s: %s", writer, path)
        return await answer(lambda: writes.ingest(state.archive, path, records).to_dict())

    @app.delete("/api/articles/{article_id:path}", summary="Delete an article (a write: needs a bearer token)")
    async def delete(request: Request, article_id: str):
        writer = await call(lambda: writes.require_writer(request, state.archive))
        if await call(lambda: state.archive.article(article_id)) is None:
            raise HTTPException(404, f"no article has the id {article_id!r}")
        await call(lambda: state.archive.delete_articles([article_id]))
        log.info("article %s deleted by %s", article_id, writer)
        return JSONResponse({"deleted": article_id})

    return app


def _sse(archive: Archive, question: str, filters, as_of: str, time_words: bool | None,
         timeout_s: float) -> Iterator[str]:
    """The answer as server-sent events: ``sources``, a ``token`` per piece, ``answer`` (ask's JSON), or ``error``."""
    started = time.monotonic()
    try:
        for event in archive.ask_stream(question, filters=filters, as_of=as_of, time_words=time_words):
            if isinstance(event, SourcesFound):
                yield _event("sources", [{"n": s.n, "article_id": s.article.id, "title": s.article.title,
                                          "source": s.article.source, "start": s.chunk.start, "end": s.chunk.end}
                                         for s in event.sources])
            elif isinstance(event, Token):
                yield _event("token", {"text": event.text})
            elif isinstance(event, Answered):
                yield _event("answer", answer_json(archive, event.answer, question, filters, as_of, time_words))
            if time.monotonic() - started > timeout_s:
                yield _event("error", {"error": f"the answer took longer than {timeout_s:g} s", "status": 503})
                return
    except Exception as e:  # noqa: BLE001 - the stream has begun: the error is its last event, not a traceback
        log.exception("error streaming an answer")
        status = next((code for cls, code in errors.STATUS if isinstance(e, cls)), 500)
        yield _event("error", {"error": str(e) if status != 500 else type(e).__name__, "status": status})


def _event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
