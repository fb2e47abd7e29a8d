"""Text handling shared by ingest and the archive: sentences, words and stems, folding, query parsing, dates in
queries, names and site furniture. Pure functions over strings; imports nothing from the rest of the project
but ``archive.types``, ``archive.errors`` and ``archive.settings``."""
