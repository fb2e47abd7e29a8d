"""The archive's error hierarchy: each message says what was expected and what was found."""


class ArchiveError(Exception):
    """Base of every error the archive raises on purpose."""


class ConfigError(ArchiveError):
    """A setting is missing, malformed or names something that is not installed."""


class InputError(ArchiveError):
    """An input (file, record, URL) cannot be read as an article. The message names the reason."""


class QueryError(ArchiveError):
    """A search or question is malformed (e.g. a date filter that is not a date)."""


class StoreError(ArchiveError):
    """The vector store could not be reached or refused an operation."""


class EmbeddingError(ArchiveError):
    """The embedding model failed to load or to embed."""


class ArchiveBusyError(ArchiveError):
    """Another ingest holds the archive's write lock."""


class ReadOnlyError(ArchiveError):
    """The archive is read-only (``ARCHIVE_READ_ONLY``): ingest is refused."""


class NotFoundError(ArchiveError):
    """What was asked for (an article, a watch) is not in the archive."""
