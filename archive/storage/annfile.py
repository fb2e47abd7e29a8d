"""The chunk vectors' ANN index on disk: FAISS IVF lists of 8-bit codes, in segments every process memory-maps.

Files, in ``ARCHIVE_DIR/<index>.ann/``:

- ``trained-<n>.faiss``: the empty IVF index (centroids and the 8-bit quantizer's ranges), trained once
  per lineage (every segment the manifest names was made from it);
- ``seg-<n>.faiss``: a segment, the trained index with some rows added (ids are keyword-file row ids),
  read with ``IO_FLAG_MMAP`` so its lists stay in the page cache, one copy for every process;
- ``seg-<n>.keys.npy``: the segment's row ids, sorted, and the CRC-32 of each row's chunk id (a row id
  that SQLite reused for another chunk is told apart);
- ``manifest.json``: the format, the dimension, and each live segment with its byte sizes.

Updates never change a file in place. A writer (holding ``lock``) writes new segment files, fsyncs them,
then replaces the manifest with a rename: **the commit point**. A reader reads the manifest and opens
exactly the files it names; a crash before the rename leaves the old manifest and some unnamed files,
which the next writer deletes. A manifest that does not parse, names another format, dimension or
FAISS version, or names a file of another size (truncated) is not served: ``open_view`` logs why and
returns None, and the index is rebuilt from the in-memory rows.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
FORMAT = 1
MANIFEST = "manifest.json"
MIN_RECALL = 0.9  # an index that finds less of its own rows' exact top 10 than this is not served


def crcs(chunk_ids: Sequence[str]) -> np.ndarray:
    """CRC-32 of each chunk id, as int64."""
    return np.fromiter((zlib.crc32(c.encode()) for c in chunk_ids), np.int64, len(chunk_ids))


def _faiss():
    try:
        import faiss
    except ImportError as e:  # pragma: no cover - pinned in requirements.txt
        raise ImportError("the scalable vector index needs faiss-cpu: pip install faiss-cpu==1.15.1") from e
    faiss.omp_set_num_threads(1)  # one query is one thread; the cores are shared with the encoder
    return faiss


@dataclass(frozen=True)
class Segment:
    name: str
    index: object  # faiss.IndexIVFScalarQuantizer, memory-mapped
    rowids: np.ndarray  # int64, sorted
    crcs: np.ndarray  # int64, aligned with rowids


@dataclass(frozen=True)
class View:
    """The segments one manifest names, opened (read-only, mapped)."""

    folder: Path
    key: tuple  # the manifest's (inode, mtime_ns, size): a new manifest is a new view
    dim: int
    segments: tuple[Segment, ...]

    @property
    def rows(self) -> int:
        return sum(len(s.rowids) for s in self.segments)

    def search(self, query: np.ndarray, k: int, nprobe: int, selector) -> tuple[np.ndarray, np.ndarray]:
        """(row ids, approximate scores) of up to ``k`` rows per segment, among those ``selector`` passes."""
        faiss = _faiss()
        params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe) if selector is not None else \
            faiss.SearchParametersIVF(nprobe=nprobe)
        ids, scores = [], []
        for s in self.segments:
            d, i = s.index.search(query[None, :], min(k, len(s.rowids)), params=params)
            ids.append(i[0])
            scores.append(d[0])
        ids_all, scores_all = np.concatenate(ids), np.concatenate(scores)
        found = ids_all >= 0
        return ids_all[found], scores_all[found]


def manifest_key(folder: Path) -> tuple | None:
    try:
        st = (folder / MANIFEST).stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


_views: dict[Path, View] = {}  # one mapping per file per process, whatever number of stores share the folder
_refused: dict[Path, tuple] = {}  # the manifest key of a damaged index already logged (logged once, not per search)
_views_lock = threading.Lock()


def open_view(folder: Path, dim: int) -> View | None:
    """The view the folder's manifest names (shared by the process), or None when there is none or it is damaged."""
    key = manifest_key(folder)
    if key is None:
        return None
    with _views_lock:
        view = _views.get(folder)
        if view is not None and view.key == key:
            return view
        for _ in range(3):  # a writer may replace the manifest and delete its old files while we read them
            if _refused.get(folder) == key:
                return None
            try:
                view = _read_view(folder, key, dim)
                break
            except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:
                view, newer = None, manifest_key(folder)
                if newer is not None and newer != key:
                    key = newer
                    continue
                log.warning("not serving the vector index in %s (%s): it will be rebuilt", folder, e)
                _refused[folder] = key
                break
        if view is None:
            _views.pop(folder, None)
        else:
            _views[folder] = view
        return view


def _read_view(folder: Path, key: tuple, dim: int) -> View:
    faiss = _faiss()
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT or manifest.get("faiss") != faiss.__version__:
        raise ValueError(f"format {manifest.get('format')} of FAISS {manifest.get('faiss')}, "
                         f"not {FORMAT} of {faiss.__version__}")
    if manifest["dim"] != dim:
        raise ValueError(f"{manifest['dim']} dimensions, not {dim}")
    if manifest.get("probe_recall", 1.0) < MIN_RECALL:
        raise ValueError(f"its recall@10 on its own rows was {manifest['probe_recall']:.2f}, under {MIN_RECALL} "
                         "(vectors without clusters?): the exact scan answers")
    segments = []
    for entry in manifest["segments"]:
        index_path, keys_path = folder / f"{entry['name']}.faiss", folder / f"{entry['name']}.keys.npy"
        for path, size in ((index_path, entry["bytes"]), (keys_path, entry["keys_bytes"])):
            if path.stat().st_size != size:
                raise ValueError(f"{path.name} holds {path.stat().st_size} bytes, not {size} (truncated?)")
        index = faiss.read_index(str(index_path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
        # The mapped lists would start prefetch threads on every search (4 ms of a 1 ms query); the page cache has them.
        faiss.downcast_InvertedLists(index.invlists).prefetch_nthread = 0
        keys = np.load(keys_path, mmap_mode="r")
        if index.ntotal != entry["rows"] or keys.shape != (2, entry["rows"]) or index.d != dim:
            raise ValueError(f"{entry['name']} holds {index.ntotal} rows, not {entry['rows']}")
        segments.append(Segment(entry["name"], index, keys[0], keys[1]))
    return View(folder, key, dim, tuple(segments))


# ---- writing (one writer at a time: the caller holds the folder's lock) ---------------------------


def lists_for(rows: int) -> int:
    """IVF lists for an archive of ``rows``: about 4 sqrt(n), a power of two, and at least 39 rows to train each."""
    wanted = min(65_536, max(64, 2 ** round(np.log2(4 * np.sqrt(max(rows, 1))))))
    return int(max(1, min(wanted, rows // 39)))


def write_trained(folder: Path, sample: np.ndarray, nlist: int, rows: int) -> None:
    """Train the centroids and the 8-bit ranges on ``sample`` (of an archive of ``rows``) and write the empty
    index (a new lineage: no segments)."""
    faiss = _faiss()
    folder.mkdir(parents=True, exist_ok=True)
    index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(sample.shape[1]), sample.shape[1], nlist,
                                          faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = 7  # the same rows train the same lists
    index.cp.niter = 10
    index.cp.min_points_per_centroid = 1  # fewer than FAISS's 39 is fine for lists (it only warns)
    faiss.omp_set_num_threads(2)  # training runs off the query path, on both cores
    try:
        index.train(np.ascontiguousarray(sample, np.float32))
    finally:
        faiss.omp_set_num_threads(1)
    old = trained_info(folder)
    lineage = int(old.get("next", 0)) + 1 if old else 0
    trained = f"trained-{lineage}"
    _write_index(index, folder / f"{trained}.faiss")
    _write_manifest(folder, {"trained": trained, "dim": sample.shape[1], "nlist": nlist,
                             "trained_rows": rows, "next": lineage + 1, "segments": []})
    sweep(folder)


def trained_info(folder: Path) -> dict | None:
    """The manifest, when it parses and its trained index exists (the lineage new segments join)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT or manifest.get("faiss") != _faiss().__version__:
            return None
        return manifest if (folder / f"{manifest['trained']}.faiss").exists() else None
    except (OSError, ValueError, KeyError):
        return None


def add_segment(folder: Path, rowids: np.ndarray, chunk_crcs: np.ndarray, vectors: np.ndarray,
                merge: Sequence[str] = (), generation: int = 0) -> str:
    """Write one segment of these rows (plus the rows of the segments named in ``merge``, which it replaces),
    then commit it by replacing the manifest; returns the new segment's name."""
    faiss = _faiss()
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    index = faiss.read_index(str(folder / f"{manifest['trained']}.faiss"))
    keys = [np.stack([np.asarray(rowids, np.int64), np.asarray(chunk_crcs, np.int64)])]
    if len(rowids):
        faiss.omp_set_num_threads(2)  # assigning rows to lists runs off the query path, on both cores
        try:
            index.add_with_ids(np.ascontiguousarray(vectors, np.float32), np.asarray(rowids, np.int64))
        finally:
            faiss.omp_set_num_threads(1)
    for name in merge:
        other = faiss.read_index(str(folder / f"{name}.faiss"))
        index.merge_from(other, 0)
        keys.append(np.load(folder / f"{name}.keys.npy"))
    joined = np.concatenate(keys, axis=1)
    joined = joined[:, np.argsort(joined[0], kind="stable")]
    name = f"seg-{manifest.get('next', 0)}"
    _write_index(index, folder / f"{name}.faiss")
    with open(folder / f"{name}.keys.npy", "wb") as f:
        np.save(f, joined)
        f.flush()
        os.fsync(f.fileno())
    kept = [s for s in manifest["segments"] if s["name"] not in set(merge)]
    kept.append({"name": name, "rows": int(index.ntotal), "bytes": (folder / f"{name}.faiss").stat().st_size,
                 "keys_bytes": (folder / f"{name}.keys.npy").stat().st_size})
    _write_manifest(folder, manifest | {"segments": kept, "next": int(manifest["next"]) + 1, "generation": generation})
    sweep(folder)
    return name


def set_probe(folder: Path, recall: float) -> None:
    """Record the recall the lists reached on a probe of their own rows (a low one is not served)."""
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    _write_manifest(folder, manifest | {"probe_recall": round(float(recall), 4)})


def segments_of(folder: Path) -> list[dict]:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["segments"]


def sweep(folder: Path) -> None:
    """Delete files the manifest does not name (a crashed write's, merged segments, an old lineage). A process
    that still maps one keeps reading it: the inode lives until it is unmapped."""
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    named = {f"{s['name']}.{kind}" for s in manifest["segments"] for kind in ("faiss", "keys.npy")}
    named.add(f"{manifest['trained']}.faiss")
    for path in list(folder.glob("seg-*")) + list(folder.glob("trained-*")):
        if path.name not in named:  # a crashed writer's temporary file too
            path.unlink(missing_ok=True)


def _write_index(index, path: Path) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    _faiss().write_index(index, str(tmp))
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _write_manifest(folder: Path, manifest: dict) -> None:
    body = manifest | {"format": FORMAT, "faiss": _faiss().__version__}
    tmp = folder / f"{MANIFEST}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(body, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, folder / MANIFEST)
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
