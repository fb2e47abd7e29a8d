"""Readers behind ``ingest.sources``: finding inputs and turning each format into raw documents.

Modules, by what they hold:

- ``origins``: what an origin is (URL or file path) and which file suffixes are supported
- ``discover``: expanding command-line arguments into the list of origins to read
- ``files``: file access with size limits, OS errors turned into short reasons
- ``decoding``: bytes to text, encoding sniffing and binary detection
- ``fields``: metadata fields shared by JSON records, sidecars and Markdown front matter
- ``sidecars``: ``.meta.json`` files stating metadata for the article next to them
- ``plain``, ``markdown``, ``html``, ``records``: one reader per format (``html`` also fetches URLs)
- ``dispatch``: ``read``, which picks the reader for an origin
"""
