"""A local news outlet for the feed tests: real HTTP on loopback, shaped like real outlets' feeds.

- ``/rss``: RSS 2.0 with full ``content:encoded`` (links with ``utm_*`` parameters), ETag and Last-Modified;
- ``/atom``: Atom with summaries only, so the linked ``/pages/<n>`` are fetched;
- ``/feed.json``: JSON Feed 1.1; ``/sitemap-index.xml``: a news sitemap index of ``/sitemap-news.xml``;
- ``/mirror``: the RSS feed's articles under another outlet's links;
- ``/site``: a home page naming ``/rss`` in ``<link rel="alternate">``;
- ``/moved``: 301 to ``/rss``; ``/flaky``: 503 with Retry-After while ``outlet.down`` > 0;
- bad ones: ``/broken`` (not well-formed), ``/bomb`` (billion laughs), ``/xxe``, ``/html`` (a page, no feed),
  ``/drip`` (a byte every half second), ``/huge`` (3 MB), ``/private`` (302 to 127.0.0.2).

Every response is counted (path, status, body bytes) in ``outlet.log``; ``outlet.stories`` may be changed.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
from dataclasses import dataclass, field

import pytest

STORIES = {
    "rutte": ("Rutte warns that Russia loses soldiers every month",
              "NATO Secretary General Mark Rutte said on Monday that Russia loses about 20,000 soldiers a month. "
              "He told allies in Brussels to raise defence spending."),
    "odesa": ("Drone strikes near Odesa damage port",
              "Russian drones struck the port of Odesa overnight, damaging grain silos and a ferry terminal. "
              "Ukrainian officials said air defences shot down most of the drones."),
    "lighthouse": ("Lighthouse keepers return to the coast",
                   "The lighthouse keepers came back to the rocky coast after a decade of automation. "
                   "Fishermen welcomed the return of the keepers and their lamps."),
}
PAGE = ("<html><head><title>{title}</title><meta name=\"author\" content=\"Page Author\"></head><body><article>"
        "<h1>{title}</h1><p>{text}</p><p>{text}</p></article></body></html>")


@dataclass
class Outlet:
    base: str = ""
    stories: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(STORIES))
    down: int = 0  # /flaky answers 503 this many more times
    retry_after: str = "120"
    private: str = "http://127.0.0.2:9/feed"  # where /private redirects
    page_delay: float = 0.0  # seconds each linked page takes (to stop a poller in the middle of a feed)
    log: list[tuple[str, int, int]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # when each response of ``log`` began (monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self, path: str) -> list[int]:
        """Body bytes sent for each request of ``path``."""
        return [size for p, _, size in self.log if p == path]

    def rss(self) -> bytes:
        items = "".join(
            f"<item><title>{t}</title><link>{self.base}/news/{k}?utm_source=rss&amp;utm_medium=feed</link>"
            f"<guid isPermaLink=\"false\">rss-{k}</guid><pubDate>Mon, 06 May 2024 16:45:00 +0000</pubDate>"
            f"<author>desk@outlet.example (Jane Doe)</author><description>A teaser.</description>"
            f"<content:encoded><![CDATA[<p>{x}</p><p>Second paragraph of {k}.</p>]]></content:encoded></item>"
            for k, (t, x) in self.stories.items())
        return (f'<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
                f"<channel><title>Outlet RSS</title><link>{self.base}/</link>{items}</channel></rss>").encode()

    def atom(self) -> bytes:
        entries = "".join(
            f"<entry><title>{t}</title><id>urn:atom:{k}</id><link href=\"{self.base}/pages/{k}\"/>"
            f"<updated>2024-05-07T09:00:00Z</updated><author><name>Atom Writer</name></author>"
            f"<summary>Only a summary of {k}.</summary></entry>" for k, (t, _) in self.stories.items())
        return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Outlet Atom'
                f"</title><id>urn:outlet</id><updated>2024-05-07T09:00:00Z</updated>{entries}</feed>").encode()

    def jsonfeed(self) -> bytes:
        # The same articles as the RSS feed's, in the same words: another outlet's feed syndicating them.
        items = [{"id": f"json-{k}", "url": f"{self.base}/news/{k}?fbclid=abc", "title": t,
                  "content_html": f"<p>{x}</p><p>Second paragraph of {k}.</p>",
                  "date_published": "2024-05-08T07:00:00Z", "authors": [{"name": "JSON Writer"}]}
                 for k, (t, x) in self.stories.items()]
        return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Outlet JSON",
                           "items": items}).encode()

    def sitemap(self) -> bytes:
        urls = "".join(
            f"<url><loc>{self.base}/pages/{k}</loc><news:news><news:publication><news:name>Outlet</news:name>"
            f"</news:publication><news:publication_date>2024-05-09T10:00:00Z</news:publication_date>"
            f"<news:title>{t}</news:title></news:news></url>" for k, (t, _) in self.stories.items())
        return ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>').encode()


BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><rss version="2.0"><channel><item><title>&lol3;'
        b"</title><description>&lol3;</description></item></channel></rss>")
XXE = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel>'
       b"<item><title>x</title><description>&x;</description></item></channel></rss>")


def handler_for(outlet: Outlet) -> type:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            path = self.path.split("?", 1)[0]
            route = ROUTES.get(path) or (_page if path.startswith(("/pages/", "/news/")) else _missing)
            route(self, outlet, path)

        def log_message(self, *args):
            pass

        def send(self, status: int, body: bytes, kind: str = "application/xml", headers: dict | None = None):
            began = time.monotonic()
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if status == 200 and self.headers.get("If-None-Match") == etag:
                status, body = 304, b""
            self.send_response(status)
            for name, value in {"Content-Type": kind, "ETag": etag, "Last-Modified": "Mon, 06 May 2024 17:00:00 GMT",
                                "Content-Length": str(len(body)), **(headers or {})}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            with outlet.lock:
                outlet.log.append((self.path.split("?", 1)[0], status, len(body)))
                outlet.times.append(began)

    return Handler


def _page(h, outlet: Outlet, path: str) -> None:
    key = path.rsplit("/", 1)[-1]
    if key not in outlet.stories:
        return _missing(h, outlet, path)
    title, text = outlet.stories[key]
    time.sleep(outlet.page_delay)  # a slow page, when a test asks for one
    h.send(200, PAGE.format(title=title, text=text).encode(), "text/html; charset=utf-8")


def _missing(h, outlet: Outlet, path: str) -> None:
    h.send(404, b"not found", "text/plain")


def _flaky(h, outlet: Outlet, path: str) -> None:
    if outlet.down > 0:
        outlet.down -= 1
        return h.send(503, b"busy", "text/plain", {"Retry-After": outlet.retry_after})
    h.send(200, outlet.rss(), "application/rss+xml")


def _drip(h, outlet: Outlet, path: str) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.end_headers()
    try:
        for byte in outlet.rss()[:40]:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(0.5)  # the drip itself: the client's deadline must cut it
    except OSError:
        pass


def _redirect(status: int, target: str):
    def route(h, outlet: Outlet, path: str) -> None:
        h.send(status, b"", "text/plain", {"Location": target.replace("BASE", outlet.base)})
    return route


ROUTES = {
    "/rss": lambda h, o, p: h.send(200, o.rss(), "application/rss+xml"),
    "/atom": lambda h, o, p: h.send(200, o.atom(), "application/atom+xml"),
    # another outlet syndicating the same articles under its own links
    "/mirror": lambda h, o, p: h.send(200, o.rss().replace(b"/news/", b"/mirror/").replace(b"rss-", b"mirror-"),
                                      "application/rss+xml"),
    "/feed.json": lambda h, o, p: h.send(200, o.jsonfeed(), "application/feed+json"),
    "/sitemap-index.xml": lambda h, o, p: h.send(200, (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
        f"<loc>{o.base}/sitemap-news.xml</loc></sitemap></sitemapindex>").encode()),
    "/sitemap-news.xml": lambda h, o, p: h.send(200, o.sitemap()),
    "/site": lambda h, o, p: h.send(200, (
        b'<html><head><title>Outlet</title><link rel="alternate" type="application/rss+xml" href="/rss">'
        b"</head><body><p>Home page of the outlet.</p></body></html>"), "text/html"),
    "/moved": _redirect(301, "BASE/rss"),
    "/elsewhere": _redirect(302, "BASE/atom"),
    "/flaky": _flaky,
    "/broken": lambda h, o, p: h.send(200, b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</channel'),
    "/bomb": lambda h, o, p: h.send(200, BOMB),
    "/xxe": lambda h, o, p: h.send(200, XXE),
    "/html": lambda h, o, p: h.send(200, b"<!DOCTYPE html><html><body><p>A page, no feed.</p></body></html>",
                                    "text/html"),
    "/drip": _drip,
    "/huge": lambda h, o, p: h.send(200, b'<rss version="2.0"><channel>' + b"<!-- padding -->" * 200_000
                                    + b"</channel></rss>"),
    "/private": lambda h, o, p: h.send(302, b"", "text/plain", {"Location": o.private}),
}


@pytest.fixture
def outlet():
    """An outlet serving its feeds and pages on loopback for the test (``shop.base`` is its address)."""
    from tests.servers import http_server

    shop = Outlet()
    with http_server(handler_for(shop)) as base:
        shop.base = base
        yield shop
