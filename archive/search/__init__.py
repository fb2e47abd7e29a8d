"""Search: the hybrid retriever, typed rankings and their one fusion, stories, highlights and facets."""
