"""Progress: the terminal's bar and the Add page's line, with articles/s and the time left."""

from __future__ import annotations

import gzip
import sys


def progress_bar(origins: list[str], enabled: bool | None):
    """Articles read, their rate and the time left (tqdm's ETA: the total counts each record of a feed)."""
    from tqdm import tqdm

    shown = sys.stderr.isatty() if enabled is None else enabled
    total = expected_articles(origins) if shown else None
    return tqdm(total=total, unit="article", desc="ingest", file=sys.stderr, disable=not shown)


def eta_text(done: int, total: int | None, elapsed_s: float) -> str:
    """Progress as the Add page shows it: articles read (of how many), their rate, and the time left."""
    rate = done / elapsed_s if elapsed_s > 0 else 0.0
    text = f"{done:,} of {total:,} articles" if total else f"{done:,} article(s)"
    if rate <= 0:
        return text
    text += f" · {rate:.1f} articles/s"
    if total and total > done:
        text += f" · about {_duration((total - done) / rate)} left"
    return text


def _duration(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def expected_articles(origins: list[str]) -> int | None:
    """How many articles the inputs hold, for the progress bar's time left: a line per record of a JSONL
    feed (counted in one fast pass), one per other file or URL; None when a JSON file hides its count."""
    total = 0
    for origin in origins:
        name = origin.lower()
        if name.endswith((".jsonl", ".jsonl.gz")):
            opener = gzip.open if name.endswith(".gz") else open
            try:
                with opener(origin, "rb") as f:
                    total += sum(1 for line in f if line.strip())
            except (OSError, EOFError):
                total += 1  # the read will report it
        elif name.endswith((".json", ".json.gz")):
            return None  # one record or an array of many: unknown until read
        else:
            total += 1
    return total
