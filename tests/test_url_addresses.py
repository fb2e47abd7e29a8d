"""URL fetches on the app's behalf connect to public addresses only: the address each connection's socket
reached is checked, on the first request and on every redirect, so neither a redirect nor a name that
resolves elsewhere at fetch time (DNS rebinding) reaches the server's own network."""

from __future__ import annotations

import http.server

import pytest

from archive import Settings
from archive.errors import InputError
from ingest.readers.addresses import address_kind, public_addresses_only
from ingest.readers.html import read_url
from tests.servers import http_server
from tests.test_app import fresh  # noqa: F401 - fixture
from tests.test_pages import _button, _metrics, _to_add_page

PAGE = b"<html><head><title>Lighthouse keepers return</title></head><body><p>" + b"The keepers came back. " * 20 + b"</p></body></html>"


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


def _redirecting_to(target: str) -> type:
    class _Redirect(_Page):
        def do_GET(self):  # noqa: N802
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()

    return _Redirect


def _first_loopback_is_public(ip: str) -> str:
    """127.0.0.1 stands in for a public web server; every other address is classified for real."""
    return "" if ip == "127.0.0.1" else address_kind(ip)


@pytest.fixture
def private_page():
    """A page on 127.0.0.2, an address of the server's own (loopback) network."""
    with http_server(_Page, host="127.0.0.2") as base:
        yield f"{base}/inside"


def test_without_the_policy_a_fetch_connects_anywhere(private_page):
    """The command-line ingest does not check: its user chose the URL."""
    (doc,) = read_url(private_page, Settings())
    assert "keepers came back" in doc.text


def test_a_fetch_under_the_policy_refuses_a_loopback_peer(private_page):
    with public_addresses_only(), pytest.raises(InputError, match=r"127\.0\.0\.2 is a loopback address"):
        list(read_url(private_page, Settings()))


def test_a_redirect_from_a_public_server_to_a_private_one_is_refused_at_that_hop(private_page):
    with http_server(_redirecting_to(private_page)) as public:
        (doc,) = read_url(f"{public}/story", Settings())  # the redirect works when nothing is checked
        assert "keepers came back" in doc.text
        with public_addresses_only(_first_loopback_is_public), pytest.raises(InputError) as refused:
            list(read_url(f"{public}/story", Settings()))
    assert "127.0.0.2 is a loopback address" in str(refused.value)


def test_a_redirect_between_public_addresses_passes(private_page):
    with http_server(_Page) as public, http_server(_redirecting_to(f"{public}/page")) as first:
        with public_addresses_only(_first_loopback_is_public):
            (doc,) = read_url(f"{first}/story", Settings())
    assert "keepers came back" in doc.text


def test_the_peer_actually_connected_is_checked_not_the_name():
    """A name is judged by the address its socket reached, whatever it resolved to before the fetch."""
    with http_server(_Page) as base, public_addresses_only():
        with pytest.raises(InputError, match=r"localhost connected to 127\.0\.0\.1, which is a loopback address"):
            list(read_url(f"http://localhost:{base.rsplit(':', 1)[1]}/x", Settings()))


@pytest.mark.slow
def test_the_add_page_refuses_a_private_peer_the_pre_check_missed(fresh, private_page, monkeypatch):
    """DNS rebinding, simulated: the page's early check is told the URL is public; the fetch still refuses."""
    monkeypatch.setattr("webui.urls.url_refusal", lambda url, timeout: "")
    at = _to_add_page(fresh())
    next(t for t in at.text_input if t.label == "Or a web page URL").set_value(private_page).run()
    _button(at, "Add to archive").click().run()
    assert not at.exception
    assert _metrics(at)["added"] == "0"
    report = at.dataframe[0].value.to_string()
    assert "127.0.0.2 is a loopback address" in report, report
    from webui.resources import get_archive

    assert len(get_archive().articles()) == 5  # the sample only


@pytest.mark.slow
def test_with_the_setting_the_add_page_fetches_a_private_peer(fresh, private_page, monkeypatch):
    monkeypatch.setenv("ARCHIVE_ALLOW_PRIVATE_URLS", "true")
    at = _to_add_page(fresh())
    next(t for t in at.text_input if t.label == "Or a web page URL").set_value(private_page).run()
    _button(at, "Add to archive").click().run()
    assert not at.exception and _metrics(at)["added"] == "1"
