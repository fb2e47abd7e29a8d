"""The models the archive runs: document and query embedders, the reranker, chat backends and named
entities. Each is a small protocol with a factory keyed by a setting; heavy libraries load inside them."""
