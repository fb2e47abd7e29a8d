"""Stories on the RealTime QA pool: how many groups, of which kind, and a sample to read.

    python bench/stories.py            # on the pool archive bench/retrieval.py keeps (built if missing)

The pool has no same-story labels, so this prints what can be checked: how many articles share a
story, how many same-story pairs come from one outlet (follow-ups, which must stay separate results)
or from two (the same event retold, which should be one), the shingle overlap of those pairs, and a
fixed random sample of groups to read.
"""

from __future__ import annotations

import itertools
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import write_section  # noqa: E402
from bench.retrieval import our_archive  # noqa: E402


def main() -> None:
    from archive.search.stories import jaccard, outlet, shingles

    archive = our_archive()
    groups: dict[str, list] = defaultdict(list)
    for article in archive.store.iter_articles():
        groups[article.story_id or article.id].append(article)
    multi = [members for members in groups.values() if len(members) > 1]
    texts = archive.store.get_articles([a.id for members in multi for a in members])
    pairs = []
    for members in multi:
        for a, b in itertools.combinations(members, 2):
            overlap = jaccard(shingles(texts[a.id].text), shingles(texts[b.id].text))
            pairs.append((overlap, bool(outlet(a)) and outlet(a) == outlet(b)))
    same = sum(1 for _, s in pairs if s)
    sizes = Counter(len(m) for m in multi)
    random.seed(7)
    sample = random.sample(multi, min(10, len(multi)))
    lines = [
        "## Stories on the RealTime QA pool (issue 3)",
        "",
        f"Command: `python bench/stories.py` ({sum(len(m) for m in groups.values())} articles).",
        "",
        f"- stories with more than one article: {len(multi)} "
        f"(sizes: {', '.join(f'{n} articles x{c}' for n, c in sorted(sizes.items()))})",
        f"- same-story pairs: {len(pairs)}, of which one outlet twice: {same}",
        "- word 3-shingle Jaccard of the pairs: "
        + (", ".join(f"p{q} {sorted(o for o, _ in pairs)[int(q / 100 * (len(pairs) - 1))]:.3f}" for q in (10, 50, 90))
           if pairs else "none"),
        "",
        "A fixed random sample of stories (date, outlet, title):",
        "",
    ]
    for members in sample:
        lines.append("- " + " / ".join(f"{a.published_at[:10]} {a.source}: {a.title[:70]}" for a in members))
    text = "\n".join(lines)
    print(text)
    if "--no-write" not in sys.argv:
        write_section("stories", text)


if __name__ == "__main__":
    main()
