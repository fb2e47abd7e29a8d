"""Which encoder embeds documents on this CPU: measured, checked against fp32, remembered.

Candidates: PyTorch in fp32 (always), PyTorch under bfloat16 autocast (offered where the CPU computes
bfloat16 natively), and the int8 ONNX graph (archive/models/int8encoder.py, where onnxruntime is installed).
``embedding_precision=auto`` times each on chunk-length texts made of ``PASSAGES`` (best of ``ROUNDS``,
taking turns, so a moment of contention from another process does not decide) and takes the fastest one that passes the fidelity check; an
explicit ``bf16`` or ``int8`` is checked too. The check, against fp32 PyTorch on the same probe set:

- every passage and query vector within ``MIN_COSINE`` of its fp32 vector, and
- the passages ranked for each of ``QUERIES`` (fp32 query vectors, as searches embed them, against the
  candidate's passage vectors): the same first passage as fp32, and on average at least ``MIN_TOP10``
  of fp32's top 10.

For int8 the check also asks that onnxruntime's integer products be exact on this CPU within the range the
quantised graph uses (``archive/models/int8kernel.py``): without VNNI, products of full-range operands
saturate, and the vectors can stay close in cosine while their order changes.

A candidate that fails is not used, with the reason logged; fp32 always serves. The choice, the
speeds and the checks are kept in ``<model_cache>/precision.json`` under a key of the CPU, the model
and the library versions, so the probe runs once per machine; delete the file to measure again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

Encode = Callable[[list[str]], np.ndarray]

MIN_COSINE = 0.99  # int8 measured 0.994-0.999 on 1000-character chunks; bf16 0.9999
MIN_TOP10 = 0.9
ROUNDS = 3
CACHE_FILE = "precision.json"

PASSAGES = (
    "The central bank raised its main interest rate by three quarters of a point on Wednesday, the largest "
    "increase since 1994, and signalled that further rises would follow until inflation slows.",
    "Floodwaters swept through villages in the north of the province after a week of monsoon rain, forcing "
    "tens of thousands of people from their homes and cutting the main highway to the coast.",
    "The streaming service confirmed that its most watched series, a South Korean survival drama, will "
    "return for a second season, with the director writing the new episodes himself.",
    "Wildfires fed by strong winds and record heat burned more than 20,000 acres of forest near the state "
    "capital, and firefighters said they had contained less than a tenth of the blaze.",
    "The prime minister resigned on Thursday after a wave of cabinet departures, saying he would stay on "
    "until his party chooses a new leader over the summer.",
    "Astronomers released the first full-colour images from the new space telescope, showing a cluster of "
    "galaxies as it appeared more than four billion years ago.",
    "A gunman opened fire at an elementary school in a small Texas town, killing nineteen children and two "
    "teachers, in the deadliest school shooting in the country in a decade.",
    "Shares of the electric carmaker fell eight percent after its chief executive sold billions of dollars "
    "of stock to finance his purchase of the social media company.",
    "Health officials reported new cases of monkeypox in several European countries and urged people with "
    "unexplained rashes to contact a doctor and avoid close contact with others.",
    "The football club won the European final in Paris with a single goal in the first half, after kick-off "
    "was delayed for more than half an hour by problems at the stadium gates.",
    "Grain shipments left the Black Sea port for the first time in months under a deal brokered by Turkey "
    "and the United Nations, easing fears of a global food shortage.",
    "The court struck down the half-century-old ruling that had protected abortion rights nationwide, "
    "leaving each state to decide whether to allow the procedure.",
    "Scientists said a heatwave had pushed temperatures in London above forty degrees Celsius for the first "
    "time on record, buckling railway lines and closing schools.",
    "The chipmaker announced a new factory worth twenty billion dollars in Ohio, promising thousands of jobs "
    "once production starts in three years' time.",
    "The queen's platinum jubilee was marked with four days of parades, concerts and street parties across "
    "the country, celebrating seventy years on the throne.",
    "A magnitude 5.9 earthquake struck a mountainous region near the border before dawn, collapsing mud-brick "
    "houses and killing more than a thousand people.",
)
QUERIES = (
    "Which show was green lit for a new season?",
    "How much did the central bank raise interest rates?",
    "Who resigned as prime minister this week?",
    "What did the new space telescope photograph?",
    "Where was the new chip factory announced?",
    "How many people died in the earthquake?",
    "Which city hit forty degrees for the first time?",
    "Why were grain ships able to leave the port?",
)


@dataclass(frozen=True)
class Fidelity:
    """How close a candidate's vectors are to fp32's on the probe set, and whether that is close enough."""

    worst_cosine: float
    top10: float  # mean share of fp32's top 10 passages per query that the candidate also ranks top 10
    same_first: bool  # every query's best passage is fp32's
    reason: str = ""  # why it fails ("" when it passes)

    @property
    def ok(self) -> bool:
        return not self.reason


@dataclass
class Choice:
    """What embeds documents, and what led to it (kept in the cache file)."""

    precision: str
    speeds: dict[str, float] = field(default_factory=dict)  # texts/s on the probe set
    fidelity: dict[str, dict] = field(default_factory=dict)  # per candidate: asdict(Fidelity)
    unavailable: dict[str, str] = field(default_factory=dict)  # candidate -> why it could not be built


def fidelity(fp32: Encode, candidate: Encode, kernel: str = "") -> Fidelity:
    """The candidate's vectors of ``PASSAGES`` and ``QUERIES`` against fp32's (see the module docstring);
    ``kernel`` is why the candidate's arithmetic is not exact here ("" when it is)."""
    texts = list(PASSAGES + QUERIES)
    want, got = fp32(texts), candidate(texts)
    worst = float((np.asarray(want) * np.asarray(got)).sum(axis=1).min())
    n = len(PASSAGES)
    queries = np.asarray(want[n:])
    top_want = np.argsort(-(queries @ np.asarray(want[:n]).T), axis=1)[:, :10]
    top_got = np.argsort(-(queries @ np.asarray(got[:n]).T), axis=1)[:, :10]
    top10 = float(np.mean([len(set(a) & set(b)) / len(a) for a, b in zip(top_want, top_got)]))
    same_first = bool((top_want[:, 0] == top_got[:, 0]).all())
    return Fidelity(worst, top10, same_first, kernel or _failure(worst, top10, same_first))


def _failure(worst: float, top10: float, same_first: bool) -> str:
    if not worst >= MIN_COSINE:
        return f"a probe vector is at cosine {worst:.4f} to fp32, below {MIN_COSINE}"
    if not same_first:
        return "a probe query's best passage differs from fp32's"
    if not top10 >= MIN_TOP10:
        return f"top-10 agreement with fp32 is {top10:.2f}, below {MIN_TOP10}"
    return ""


def speed_texts(n: int = 16, per_text: int = 5) -> list[str]:
    """Texts about as long as a chunk (the default 1,000 characters), made of the probe passages: which
    encoder is fastest depends on the length of what it encodes."""
    return [" ".join(PASSAGES[(i + j) % len(PASSAGES)] for j in range(per_text)) for i in range(n)]


def speeds(encoders: dict[str, Encode], texts: list[str], clock: Callable[[], float] = time.perf_counter
           ) -> dict[str, float]:
    """Texts per second of each encoder, the best of ``ROUNDS`` runs; the rounds take turns (fp32, bf16,
    int8, fp32, …), so that a spell of load from another process slows every candidate, not one."""
    best = dict.fromkeys(encoders, float("inf"))
    for _ in range(ROUNDS):
        for name, encode in encoders.items():
            start = clock()
            encode(texts)
            best[name] = min(best[name], clock() - start)
    return {name: len(texts) / max(seconds, 1e-9) for name, seconds in best.items()}


def choose(
    requested: str,
    candidates: dict[str, Callable[[], Encode]],
    clock: Callable[[], float] = time.perf_counter,
) -> Choice:
    """The precision to embed documents in. ``candidates`` maps each precision this machine offers to a
    function that builds its encoder (raising to say it cannot); ``fp32`` must be among them."""
    choice = Choice("fp32")
    reference = candidates["fp32"]()
    names = [n for n in candidates if n != "fp32"] if requested == "auto" else [requested]
    built = {"fp32": reference}
    for name in [n for n in names if n != "fp32"]:
        encoder = _build(name, candidates, choice)
        if encoder is not None and _passes(name, reference, encoder, choice):
            built[name] = encoder
    if requested == "auto":
        choice.speeds = speeds(built, speed_texts(), clock)
        choice.precision = max(choice.speeds, key=choice.speeds.get)
    else:
        choice.precision = requested if requested in built else "fp32"
    return choice


def _build(name: str, candidates: dict[str, Callable[[], Encode]], choice: Choice) -> Encode | None:
    if name not in candidates:
        choice.unavailable[name] = "this CPU does not offer it"
        log.warning("embedding_precision %s is not available here (%s); using fp32", name, choice.unavailable[name])
        return None
    try:
        return candidates[name]()
    except Exception as e:  # noqa: BLE001 - any failure to build means: not this candidate
        choice.unavailable[name] = f"{type(e).__name__}: {e}"
        log.warning("embedding_precision %s could not be set up (%s); it is not used", name, choice.unavailable[name])
        return None


def _passes(name: str, reference: Encode, encoder: Encode, choice: Choice) -> bool:
    check = fidelity(reference, encoder, kernel_fault(name))
    choice.fidelity[name] = asdict(check)
    if not check.ok:
        log.warning("embedding_precision %s failed its fidelity check against fp32 (%s); it is not used",
                    name, check.reason)
    return check.ok


def kernel_fault(name: str) -> str:
    """Why candidate ``name``'s integer arithmetic is not exact on this CPU ("" when it is, or it has none)."""
    if name != "int8":
        return ""
    from archive.models import int8kernel

    check = int8kernel.check()
    return "" if check.exact else check.reason


class ChoiceCache:
    """Choices by machine and model, in one JSON file (written atomically; a damaged file is ignored)."""

    def __init__(self, folder: Path):
        self.path = Path(folder).expanduser() / CACHE_FILE

    def get(self, key: str) -> Choice | None:
        entry = self._read().get(key)
        try:
            return Choice(**entry) if entry else None
        except TypeError:
            return None

    def put(self, key: str, choice: Choice) -> None:
        entries = self._read()
        entries[key] = asdict(choice)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entries, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}


def machine_key(requested: str, model_key: str, threads: int) -> str:
    """What a measured choice depends on: the CPU, the thread count, the model and the libraries."""
    from importlib.metadata import PackageNotFoundError, version

    parts = [requested, model_key, str(threads), _cpu_signature()]
    for package in ("torch", "onnxruntime"):
        try:
            parts.append(f"{package}={version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package}=none")
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def _cpu_signature() -> str:
    """The CPU's model name and the instruction sets the candidates' speed depends on."""
    from archive.models.cpu import cpu_info

    info = cpu_info()
    if info is None:
        return f"{os.uname().machine}:{os.cpu_count()}"
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
    return f"{info.name}:{os.cpu_count()}:" + ",".join(info.has_any(wanted))
