"""A searchable news archive: ingest articles, search them, ask questions with cited answers.

Importing this package loads no model and opens no database; ``Archive`` does so on first use.
"""

from archive.answers.types import Answer, Answered, SourcesFound, Token
from archive.errors import ArchiveError
from archive.facade import Archive
from archive.settings import Settings
from archive.types import ArchiveStats, Article, Chunk, Filters, IngestReport, SearchHit

__all__ = ["Archive", "ArchiveError", "Settings", "Answer", "Answered", "SourcesFound", "Token", "Article", "ArchiveStats", "Chunk", "Filters", "IngestReport", "SearchHit"]
