"""The ``python -m archive`` command line: a thin shell over the facade (``archive.Archive``)."""
