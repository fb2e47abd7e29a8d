"""The ingest step: read inputs, normalise them, chunk and embed them into the archive."""
