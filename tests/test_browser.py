"""The app in a real browser: Debian's chromium, driven by Playwright, against `streamlit run`.

Checks what AppTest cannot see: the cited passage is highlighted and scrolled into view after a click,
an article holding <script> and <img onerror> fires no dialog, and no page makes the browser request
anything from anywhere but the app itself, with Markdown images, links and HTML in an article's title,
source, author, URL and text. Screenshots go to test-output/; with UPDATE_SCREENSHOTS=1 one per page is
also copied to docs/screenshots/ for the README.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE
from tests.servers import free_port, stop

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
OUTPUT = ROOT / "test-output" / "browser"
README_SHOTS = ROOT / "docs" / "screenshots"
SOLDIERS = "How many soldiers does Russia lose each month according to Rutte?"
XSS = ("Harbour strike spreads\n\nDockers said <script>alert(1)</script> and <img src=x onerror=alert(2)> while "
       "the harbour strike spread to three more ports on Monday.")
# Dated articles from named sources, so the library's timeline and source charts have something to show.
DATED = [
    {"id": "gazette-1", "title": "Ferry operators cut winter timetables", "source": "Harbour Gazette",
     "published_at": "2025-01-14", "text": "Ferry operators cut their winter timetables on Tuesday, citing fuel costs "
     "and fewer passengers on the island routes."},
    {"id": "gazette-2", "title": "Port authority approves new container crane", "source": "Harbour Gazette",
     "published_at": "2025-02-03", "text": "The port authority approved a new container crane for the north quay, "
     "to be delivered before the summer season."},
    {"id": "ledger-1", "title": "Fish prices climb after a stormy week", "source": "Coastal Ledger",
     "published_at": "2025-02-21", "text": "Fish prices at the morning auction climbed after a week of storms kept "
     "most of the fleet in harbour."},
]
# Every field of one article tries to make the browser fetch something from elsewhere.
TRACKER = "tracker.example"
HOSTILE = {
    "id": "hostile", "title": f"Lighthouse keepers return ![](https://{TRACKER}/title.png) [x](https://{TRACKER}/l)",
    "source": f"<img src=https://{TRACKER}/source.png> Gazette ![](https://{TRACKER}/source2.png)",
    "author": f"**Bold** <img src=//{TRACKER}/author.png>", "published_at": "2025-03-10",
    "url": f"https://news.example/x ![](https://{TRACKER}/url.png) <img src=https://{TRACKER}/url2.png>",
    "text": f"The harbour board brought back lighthouse keepers on the islands. ![](https://{TRACKER}/text.png) "
            f"<img src=https://{TRACKER}/text2.png> <link rel=stylesheet href=https://{TRACKER}/x.css> "
            f"[more](https://{TRACKER}/more) www.{TRACKER} <style>@import url(https://{TRACKER}/y.css);</style> "
            f"$\\href{{https://{TRACKER}}}{{x}}$ The keepers start work on Monday, the board said.",
}
LOAD_TIMEOUT_MS = 120_000  # the first page loads the embedding model


def _ensure_chromium() -> None:
    """Chromium comes from the setup `make test` runs (`make browser`); a test never installs it."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium (needs root and apt-get)")


def _wait_healthy(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer on {url} within {timeout} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`streamlit run app.py` on 127.0.0.1 over an archive of the sample plus an XSS article."""
    pytest.importorskip("playwright", reason="pip install -r requirements-dev.txt")
    _ensure_chromium()
    root = tmp_path_factory.mktemp("browser")
    (root / "xss").mkdir()
    (root / "xss" / "xss.txt").write_text(XSS, encoding="utf-8")
    (root / "xss" / "dated.jsonl").write_text("\n".join(json.dumps(r) for r in DATED), encoding="utf-8")
    (root / "xss" / "hostile.jsonl").write_text(json.dumps(HOSTILE), encoding="utf-8")
    archive_dir = root / "archive"
    env = {**os.environ, "ARCHIVE_DIR": str(archive_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("ARCHIVE_READ_ONLY", None)
    subprocess.run([sys.executable, "-m", "ingest", str(SAMPLE), str(root / "xss")], env=env, cwd=ROOT,
                   check=True, capture_output=True, timeout=300)
    port = free_port()
    log = open(root / "streamlit.log", "w")  # noqa: SIM115 - the app writes it until stopped
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1", "--server.port",
         str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    server_log.path = root / "streamlit.log"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        stop(proc)
        log.close()


class server_log:  # noqa: N801 - a namespace: where the module's streamlit server writes its log
    path: Path | None = None


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh tab that records every JavaScript dialog (alert, confirm, prompt) it is shown, and every
    request (and web socket) any tab of its context makes."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.dialogs = []
    page.requests, page.in_flight = [], set()
    context.on("request", lambda request: (page.requests.append(request.url), page.in_flight.add(request)))
    context.on("requestfinished", lambda request: page.in_flight.discard(request))
    context.on("requestfailed", lambda request: page.in_flight.discard(request))
    context.on("page", lambda tab: tab.on("websocket", lambda ws: page.requests.append(ws.url)))
    page.on("websocket", lambda ws: page.requests.append(ws.url))

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.set_default_timeout(LOAD_TIMEOUT_MS)
    from playwright.sync_api import expect

    expect.set_options(timeout=LOAD_TIMEOUT_MS)
    yield page
    context.close()


def _shot(page, name: str) -> None:
    """Save a screenshot once the app has stopped running, to test-output/ (and docs/ when asked)."""
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_selector('[data-testid="stSkeleton"]', state="detached", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_timeout(500)  # charts and tables draw after their data arrives
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path))
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, README_SHOTS / path.name)


def test_search_ask_and_open_citations_at_their_highlighted_passage(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/?q=How+many+soldiers+does+Russia+lose+each+month%3F")
    expect(page.get_by_text("20,000 soldier losses monthly").first).to_be_visible()
    first_title = page.get_by_role("link", name=re.compile("^Following a Tuesday meeting")).first
    expect(first_title).to_be_visible()
    _shot(page, "search")

    page.goto(f"{server}/ask")
    page.get_by_placeholder("Ask a question about the archived news").fill(SOLDIERS)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=re.compile("Download answer with sources"))).to_be_visible()
    expect(page.get_by_text("Answer backend: extractive").first).to_be_visible()
    _shot(page, "ask")

    marker = page.get_by_role("link", name="[1]", exact=True).first
    with page.context.expect_page() as opened:  # Streamlit opens Markdown links in a new tab
        marker.click()
    tab = opened.value
    expect(tab.locator("mark#cited-passage")).to_contain_text("20,000 soldier losses monthly")
    expect(tab.locator("mark#cited-passage")).to_be_in_viewport()
    tab.close()

    page.get_by_role("link", name=re.compile(r"^\[1\] Following a Tuesday meeting")).click()
    page.wait_for_url(re.compile(r"/library\?article=004_.*&start=\d+&end=\d+"))
    mark = page.locator("mark#cited-passage")
    expect(mark).to_contain_text("20,000 soldier losses monthly")
    expect(mark).to_be_in_viewport()
    _shot(page, "article")
    assert page.dialogs == []


def test_library_add_and_feeds_pages_render(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/library")
    expect(page.get_by_text("By source")).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]')).to_be_visible()
    expect(page.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible()
    expect(page.get_by_text("10 of 10 articles", exact=False)).to_be_visible()
    _shot(page, "library")
    page.goto(f"{server}/add")
    expect(page.get_by_role("heading", name="Add articles")).to_be_visible()
    _shot(page, "add")
    page.goto(f"{server}/feeds")
    expect(page.get_by_role("heading", name="Feeds")).to_be_visible()
    expect(page.get_by_text("No feeds yet", exact=False)).to_be_visible()
    expect(page.get_by_role("button", name="Subscribe")).to_be_visible()
    _shot(page, "feeds")
    page.goto(f"{server}/lookup?phrase=20%2C000+soldiers")
    expect(page.get_by_text("20,000 soldier losses monthly", exact=False).first).to_be_visible()
    _shot(page, "lookup")
    assert page.dialogs == []


def test_an_article_with_script_and_onerror_shows_as_text_and_fires_no_dialog(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/?q=harbour+strike+ports")
    expect(page.get_by_text("<img src=x onerror=alert(2)>", exact=False).first).to_be_visible()
    page.get_by_role("link", name=re.compile("^Harbour strike spreads")).first.click()
    body = page.get_by_text("<script>alert(1)</script>", exact=False).first
    expect(body).to_be_visible()
    page.wait_for_timeout(1500)  # time for any injected script or image error handler to run
    assert page.dialogs == []
    assert page.locator("img[src=x]").count() == 0


def _settled(page) -> None:
    """Wait until the app has stopped running and the browser has no request in flight (what the page
    draws starts its requests as it is drawn)."""
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=LOAD_TIMEOUT_MS)
    deadline = time.monotonic() + LOAD_TIMEOUT_MS / 1000
    while page.in_flight and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # lets Playwright deliver the events that end the requests
    assert not page.in_flight, [r.url for r in page.in_flight]


def _own(url: str, server: str) -> bool:
    """A request that stays on this machine: to the app itself, or a data:/about: URL the browser makes up."""
    ws = server.replace("http://", "ws://", 1)
    return any(url == s or url.startswith(s + "/") for s in (server, ws)) or url.startswith(
        ("data:", "about:", f"blob:{server}/"))


def _no_foreign_link_or_image(page) -> None:
    """Nothing of the hostile article became an element that points elsewhere (an image, a link, a style)."""
    found = page.locator(f'img[src*="{TRACKER}"], a[href*="{TRACKER}"], link[href*="{TRACKER}"], '
                         f'[style*="{TRACKER}"]').evaluate_all("es => es.map(e => e.outerHTML)")
    assert found == [], (page.url, found)


def test_no_page_requests_anything_from_anywhere_but_the_app(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/?q=lighthouse+keepers+harbour+board")
    title = page.get_by_role("link", name=re.compile("^Lighthouse keepers return")).first
    expect(title).to_be_visible()
    _settled(page)
    _no_foreign_link_or_image(page)
    title.click()
    page.wait_for_url(re.compile(r"/library\?article="))
    expect(page.get_by_text(f"![](https://{TRACKER}/text.png)", exact=False).first).to_be_visible()
    _settled(page)
    _no_foreign_link_or_image(page)
    page.goto(f"{server}/lookup?phrase=20%2C000+soldier")
    expect(page.get_by_text("said by Mark Rutte").first).to_be_visible()
    _shot(page, "lookup")
    _no_foreign_link_or_image(page)
    for path in ("/lookup?phrase=lighthouse+keepers", "/library", "/add", "/ask"):
        page.goto(server + path)
        expect(page.locator('[data-testid="stMainBlockContainer"]')).to_be_visible()
        _settled(page)
        _no_foreign_link_or_image(page)
    page.get_by_placeholder("Ask a question about the archived news").fill("When do the lighthouse keepers start work?")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=re.compile("Download answer with sources"))).to_be_visible()
    _settled(page)
    _no_foreign_link_or_image(page)
    assert any(_own(u, server) for u in page.requests), "the recording saw the app's own requests"
    assert [u for u in page.requests if not _own(u, server)] == []
    assert page.dialogs == []


def test_result_titles_are_not_smaller_than_the_text_under_them(server, page):
    page.goto(f"{server}/?q=How+many+soldiers+does+Russia+lose+each+month%3F")
    card = page.locator('[class*="st-key-result-0"]')
    title = card.locator('[data-testid="stPageLink-NavLink"] p').first
    body = card.locator('[data-testid="stMarkdownContainer"] p').last
    title.wait_for()
    size = "e => parseFloat(getComputedStyle(e).fontSize)"
    assert title.evaluate(size) >= body.evaluate(size) > 0


def test_the_server_log_has_no_watcher_overflow_or_deprecation(server, page):
    """Streamlit watches only the app's files (no "Inotify queue overflowed" from .venv or the archive), and
    no page uses an API whose removal Streamlit announces."""
    page.goto(f"{server}/library")
    _settled(page)
    log = server_log.path.read_text(encoding="utf-8", errors="replace")
    assert "Inotify" not in log and "deprecat" not in log.lower(), log[-2000:]


def test_save_as_watch_then_the_watches_page_with_nothing_from_elsewhere(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/?q=lighthouse+keepers")
    expect(page.get_by_role("link", name=re.compile("^Lighthouse keepers return")).first).to_be_visible()
    page.get_by_role("button", name=re.compile("Save as watch")).click()
    expect(page.get_by_text("Saved the watch “lighthouse-keepers”", exact=False)).to_be_visible()
    page.goto(f"{server}/watches")
    expect(page.get_by_role("heading", name="lighthouse-keepers · 0 new")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Lighthouse keepers return")).first).to_be_visible()
    _settled(page)
    _no_foreign_link_or_image(page)
    assert [u for u in page.requests if not _own(u, server)] == []
    assert page.dialogs == []
