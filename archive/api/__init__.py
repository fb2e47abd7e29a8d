"""The HTTP API: one more shell over ``archive.Archive``, beside the command line and the pages (docs/api.md)."""
