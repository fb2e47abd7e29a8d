"""Feed formats read into entries: RSS, Atom, JSON Feed, news sitemaps and OPML, links made canonical, and
every bad input of issue 30's list refused with a reason (the parsers are real: feedparser, defusedxml)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.errors import InputError
from archive.settings import Settings
from archive.types import RawDocument
from ingest.readers.entries import FeedEntry, entry_document, html_text
from ingest.readers.feeds import feed_documents, parse_feed
from ingest.readers.links import canonical_link
from ingest.readers.sitemaps import opml_document, parse_opml
from ingest.readers.sniff import feed_kind

SETTINGS = Settings(feed_max_entries=500)

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>World news</title><link>https://news.example/</link><ttl>30</ttl>
<item><title>Rutte warns of Russian losses</title><link>https://news.example/2024/05/rutte?utm_source=rss&amp;id=7</link>
<guid isPermaLink="false">story-1</guid><pubDate>Mon, 06 May 2024 16:45:00 +0000</pubDate><dc:creator>Jane Doe</dc:creator>
<description>Teaser only.</description>
<content:encoded><![CDATA[<p>NATO Secretary General Mark Rutte warned on Monday.</p><p>Russia loses soldiers, he said.</p>]]></content:encoded>
</item></channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom outlet</title><id>urn:x</id><updated>2024-05-06T10:00:00Z</updated>
<entry><title>Drone strikes near Odesa</title><id>urn:entry:1</id><link href="https://atom.example/odesa"/>
<updated>2024-05-06T10:00:00Z</updated><author><name>Ivan Petrenko</name></author><summary>Only a summary.</summary></entry>
</feed>"""

JSONFEED = json.dumps({
    "version": "https://jsonfeed.org/version/1.1", "title": "JSON outlet",
    "items": [{"id": "j1", "url": "https://json.example/one", "title": "One", "content_html": "<p>Full text one.</p>",
               "date_published": "2024-05-01T08:00:00Z", "authors": [{"name": "A. Writer"}]},
              {"id": "j2", "content_text": "No link but text.", "title": "Two"},
              "not an object"],
}).encode()

SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://site.example/a</loc><news:news><news:publication><news:name>Site</news:name></news:publication>
<news:publication_date>2024-05-02T09:00:00+00:00</news:publication_date><news:title>Sitemap story</news:title></news:news></url>
</urlset>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><rss version="2.0"><channel><item><title>&lol3;</title></item></channel></rss>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&x;</title><description>&x;</description></item></channel></rss>"""


@pytest.mark.parametrize(("body", "kind"), [
    (RSS, "rss"), (ATOM, "atom"), (JSONFEED, "jsonfeed"), (SITEMAP, "sitemap"),
    (b'<?xml version="1.0"?><sitemapindex xmlns="x"><sitemap><loc>u</loc></sitemap></sitemapindex>', "sitemapindex"),
    (b'<?xml version="1.0"?><!-- c --><rdf:RDF xmlns:rdf="x"></rdf:RDF>', "rss"),
    (b"<opml version='2.0'><body/></opml>", "opml"),
    (b"<!DOCTYPE html><html><head></head><body>page</body></html>", ""),
    (b'{"title": "a record", "text": "not a feed"}', ""),
    (b"plain words", ""),
])
def test_the_content_says_what_a_body_is(body, kind):
    assert feed_kind(body, "text/html") == kind


@pytest.mark.parametrize(("url", "canonical"), [
    ("https://News.Example:443/a?utm_source=rss&utm_medium=x&id=7#comments", "https://news.example/a?id=7"),
    ("http://news.example/a?fbclid=1&gclid=2", "http://news.example/a"),
    ("http://news.example:8080/a?b=2&a=1", "http://news.example:8080/a?b=2&a=1"),
    ("http://news.example", "http://news.example/"),
    ("not a url", "not a url"),
])
def test_links_lose_tracking_parameters_and_nothing_else(url, canonical):
    assert canonical_link(url) == canonical


def test_rss_with_full_content_keeps_its_metadata_and_text():
    feed = parse_feed("https://news.example/rss", RSS, "rss", SETTINGS)
    (entry,) = feed.entries
    assert (feed.title, feed.ttl_s) == ("World news", 1800)
    assert (entry.guid, entry.author, entry.published) == ("story-1", "Jane Doe", "2024-05-06T16:45:00Z")
    doc = entry_document("https://news.example/rss", entry, SETTINGS)
    assert doc.origin == "https://news.example/2024/05/rutte?id=7"  # the tracking parameter is gone
    assert doc.hints["title"] == "Rutte warns of Russian losses"
    assert doc.text.startswith("NATO Secretary General Mark Rutte warned") and "Teaser" not in doc.text
    assert "\n\n" in doc.text  # one paragraph per block


def test_atom_with_a_summary_only_has_no_content_to_store_by_itself():
    (entry,) = parse_feed("https://atom.example/feed", ATOM, "atom", SETTINGS).entries
    assert entry.link == "https://atom.example/odesa" and entry.author == "Ivan Petrenko"
    assert not entry.content_html and not entry.content_text and entry.summary == "Only a summary."


def test_json_feed_items_and_a_bad_item_noted():
    feed = parse_feed("https://json.example/feed.json", JSONFEED, "jsonfeed", SETTINGS)
    one, two = feed.entries
    assert (one.guid, one.author, one.published) == ("j1", "A. Writer", "2024-05-01T08:00:00Z")
    assert html_text(one.content_html) == "Full text one."
    doc = entry_document("https://json.example/feed.json", two, SETTINGS)
    assert doc.origin == "https://json.example/feed.json#j2" and doc.record_id == "j2"  # no link: feed and id
    assert any("item 3 is not an object" in n for n in feed.notes)


@pytest.mark.parametrize("body", [b'{"version": "https://jsonfeed.org/version/1.1", "items": 3}',
                                  b'{"version": "https://jsonfeed.org/version/1.1", "items": [}'])
def test_a_broken_json_feed_says_why(body):
    with pytest.raises(InputError, match="items|invalid JSON"):
        parse_feed("f", body, "jsonfeed", SETTINGS)


def test_news_sitemap_entries_have_the_news_title_and_date():
    (entry,) = parse_feed("https://site.example/sitemap.xml", SITEMAP, "sitemap", SETTINGS).entries
    assert (entry.link, entry.title, entry.published) == ("https://site.example/a", "Sitemap story",
                                                          "2024-05-02T09:00:00Z")


@pytest.mark.parametrize(("body", "kind"), [(BILLION_LAUGHS, "rss"), (XXE, "rss"),
                                            (BILLION_LAUGHS.replace(b"rss", b"urlset"), "sitemap")])
def test_entity_declarations_are_refused_before_parsing(body, kind):
    with pytest.raises(InputError, match="entities"):
        parse_feed("f", body, kind, SETTINGS)


def test_xml_that_is_not_well_formed_and_yields_nothing_is_an_error():
    with pytest.raises(InputError, match="not well-formed"):
        parse_feed("f", b"<rss><channel><title>x</channel", "rss", SETTINGS)
    with pytest.raises(InputError, match="not well-formed"):
        parse_feed("f", b"<urlset><url><loc>x</url>", "sitemap", SETTINGS)


def test_a_feed_of_many_entries_is_read_up_to_the_bound_and_says_so():
    items = b"".join(b"<item><title>t%d</title><description>text %d</description></item>" % (i, i)
                     for i in range(1200))
    settings = Settings(feed_max_entries=100)
    feed = parse_feed("f", b'<rss version="2.0"><channel>' + items + b"</channel></rss>", "rss", settings)
    assert feed.total == 1200
    docs = list(feed_documents("f", feed, settings))
    assert len(docs) == 100 and docs[0].hints["title"] == "t0"
    assert any("1,200 entries to read; the first 100" in n for n in docs[0].notes)


def test_future_and_unreadable_dates_leave_the_entry_undated_with_a_note():
    future = (datetime.now(UTC) + timedelta(days=400)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    body = (f'<rss version="2.0"><channel><item><title>a</title><link>https://x.example/a</link><pubDate>{future}'
            '</pubDate><description>x</description></item><item><title>b</title><link>https://x.example/b</link>'
            "<pubDate>sometime soon</pubDate></item></channel></rss>").encode()
    a, b = parse_feed("f", body, "rss", SETTINGS).entries
    assert (a.published, b.published) == ("", "")
    assert "in the future" in a.date_note and "could not be read" in b.date_note


def test_an_entry_with_no_link_and_no_content_is_refused():
    with pytest.raises(InputError, match="no link and no content"):
        entry_document("f", FeedEntry(guid="g", title="only a title"), SETTINGS)


def test_an_entry_key_ignores_tracking_parameters_and_changes_with_the_text():
    one = FeedEntry(link="https://x.example/a?utm_source=a", content_text="text")
    assert one.key == FeedEntry(link="https://x.example/a?utm_source=b", content_text="text").key
    assert one.key != FeedEntry(link="https://x.example/a", content_text="changed text").key


def test_opml_round_trips_nested_outlines_and_refuses_entities():
    doc = opml_document([("https://a.example/rss", "A & B"), ("https://b.example/atom", "")])
    assert parse_opml(doc.encode()) == [("https://a.example/rss", "A & B"), ("https://b.example/atom", "https://b.example/atom")]
    nested = b'<opml version="2.0"><body><outline text="folder"><outline xmlUrl="https://c.example/f" text="C"/>' \
             b"</outline></body></opml>"
    assert parse_opml(nested) == [("https://c.example/f", "C")]
    with pytest.raises(InputError, match="entities"):
        parse_opml(b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY e "x">]><opml><body/></opml>')


def test_a_feed_file_is_ingested_like_any_input(tmp_path):
    from ingest.readers.dispatch import read

    path = tmp_path / "world.rss"
    path.write_bytes(RSS)
    (doc,) = list(read(str(path), SETTINGS))
    assert isinstance(doc, RawDocument) and doc.hints["author"] == "Jane Doe"
    json_path = tmp_path / "feed.json"
    json_path.write_bytes(JSONFEED)
    docs = list(read(str(json_path), SETTINGS))
    assert [d.hints.get("title") for d in docs if isinstance(d, RawDocument)] == ["One", "Two"]


_XMLISH = st.sampled_from([b"<rss>", b"<feed>", b"<urlset>", b"<sitemapindex>", b"<opml>", b"<item>", b"<entry>",
                           b"<loc>", b"</", b"<![CDATA[", b"&amp;", b"&#0;", b"<!DOCTYPE x>", b"\x00", b"{", b'"items"',
                           b'"version": "https://jsonfeed.org/version/1.1"', b"<content:encoded>", b"text"])


@settings(max_examples=150, deadline=None)
@given(data=st.lists(_XMLISH | st.binary(max_size=40), max_size=40).map(b"".join),
       kind=st.sampled_from(["rss", "atom", "jsonfeed", "sitemap", "sitemapindex", "opml", ""]))
def test_any_bytes_give_entries_or_a_reason_never_a_crash(data, kind):
    feed_kind(data, "text/xml")
    try:
        feed = parse_feed("https://x.example/f", data, kind or feed_kind(data) or "rss", SETTINGS)
    except InputError:
        return
    assert feed.total == len(feed.entries) and all(isinstance(e, FeedEntry) for e in feed.entries)
    for entry in feed.entries:  # only entries without a link: the others may fetch it
        if not entry.link:
            try:
                assert entry_document("https://x.example/f", entry, SETTINGS).text.strip()
            except InputError:
                pass
