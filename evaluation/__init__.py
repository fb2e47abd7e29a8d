"""The evaluation harness (questions, rankings, scores): used by ``bench/`` and ``python -m archive evaluate``.
It sits outside the core library and may import it, never the other way round."""
