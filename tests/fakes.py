"""Small deterministic stand-ins for unit tests of logic around the real model."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from archive.errors import EmbeddingError


class HashingEmbedder:
    """Bag of words hashed into a small vector: same text, same vector; shared words, nearby vectors."""

    def __init__(self, dim: int = 64, fail_on: str | None = None):
        self.name = "hashing-test"
        self.dim = dim
        self.fail_on = fail_on  # embedding any text containing this substring raises EmbeddingError
        self.calls = 0
        self.texts_embedded = 0

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            if self.fail_on and self.fail_on in text:
                raise EmbeddingError(f"simulated failure on a text containing {self.fail_on!r}")
            for word in re.findall(r"\w+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            out[row, 0] += 0.0 if norm else 1.0
        self.texts_embedded += len(texts)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]
