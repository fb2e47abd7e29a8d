"""Inputs to raw documents: find files, decode them, and pull text and stated metadata out of each format.

Nothing here judges the content (titles from first lines, date parsing, length limits on articles):
that is normalisation's job. This module only turns bytes into ``RawDocument``s, or says why it could not.

This is the public face of the readers; the work is done in the ``ingest.readers`` package.
"""

from __future__ import annotations

from ingest.readers.decoding import decode_bytes
from ingest.readers.discover import discover
from ingest.readers.dispatch import read
from ingest.readers.fetch import USER_AGENT
from ingest.readers.origins import SIDECAR_SUFFIX, SUPPORTED_SUFFIXES
from ingest.readers.records import RecordFailure

__all__ = ["SIDECAR_SUFFIX", "SUPPORTED_SUFFIXES", "USER_AGENT", "RecordFailure", "decode_bytes", "discover", "read"]
