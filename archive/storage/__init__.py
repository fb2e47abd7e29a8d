"""Storage: the record in Chroma, the indexes each host derives from it, and how they stay in step.

The protocol, in one place (docs/storage.md tells the same with pictures of the files):

**The record** is Chroma: ``<index>-articles`` (an article's text, metadata and mean chunk vector),
``<index>-chunks`` (one vector per chunk, id ``{article}:{hash12}:{n}``), ``<index>-headlines`` (one
vector per article's headline), ``<index>-changes`` (the change feed) and ``<index>-writer`` (the
writers' lease); beside them, for the whole archive, ``archive-feeds`` (feed subscriptions and their
state) and ``archive-poller`` (the feed poller's lease). Embedded (``ARCHIVE_DIR/chroma``) or on a Chroma server (``ARCHIVE_CHROMA_URL``).

**Derived**, per host, in ``ARCHIVE_DIR``: the keyword file (chunk text for FTS5 and BM25, names,
paragraph rows, the change log that drives caches, the feed watermark), the in-memory index and its
snapshot, the shared ANN index of chunk vectors (``<index>.ann/``: segments every process maps, committed
by a manifest rename; archive/storage/annfile.py), the article-metadata cache. Everything derived can be rebuilt from the record
(``derive.reconcile``); losing it loses nothing.

**Writing** (one writer at a time: the file lock in ``ARCHIVE_DIR``, and on a server the lease):
name the articles in the journal; write the new version's chunks beside the old ones; headlines;
keyword rows; then the article record, **the commit point** (it names the current content hash, and
readers use only chunks of that hash); then tell readers (keyword-file change log on this host, one
feed entry per article for other hosts); then delete the old version's chunks; clear the journal.

**How every reader learns of a commit**:
- another thread: the keyword file's generation moves; caches and the in-memory index refresh;
- another process on the same folder: the same, and Chroma's per-process cache is reopened when
  the commit marker beside it moved (archive/storage/chroma.py);
- another host on the same server: the change feed, followed before searches (feed.py, derive.py).

**Recovery**: a crash leaves either the old or the new version committed; the journal names the
articles whose write was in progress, and the next writer sweeps their uncommitted chunks, keyword
rows and headlines (``Store.recover``). A missing or empty keyword file is rebuilt from the record.
"""

from archive.storage.chroma import Connection
from archive.storage.records import HASH_PREFIX, Version
from archive.storage.store import JOURNAL, Store, store_location
from archive.text.dates import timestamp

__all__ = ["Connection", "HASH_PREFIX", "JOURNAL", "Store", "Version", "store_location", "timestamp"]
