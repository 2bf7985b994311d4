"""The face-duplicate index: approved faces' descriptors, searched for a new applicant's face.

FAISS (`faiss-cpu`) holds the vectors. Below `EXACT_MAX` vectors the index is exact (a flat L2
scan, well under a millisecond); above it, an inverted-file index (IVF-Flat): k-means cells
trained on a sample, `nprobe` nearest cells scanned per query. IVF rather than HNSW because it
builds in seconds at a million vectors (HNSW took minutes here), removes vectors by id (erasure
must take a face out of the index), and keeps exact distances for the vectors it scans; its
recall on near-duplicates is measured by `make bench` against brute force.

Distances are Euclidean on dlib's 128-D descriptors (same person: under about 0.6). Ids are the
caller's (database primary keys), int64.
"""

import math
import os
import threading
from dataclasses import dataclass

import numpy as np

DIM = 128
EXACT_MAX = 20_000  # vectors an exact scan serves within a millisecond or so
CELL_SIZE = 1000  # vectors per IVF cell on average: nlist = N / CELL_SIZE (at least 64)
NPROBE = 64  # cells scanned per query: recall 1.0 on 300 queries at 10^6 faces (make bench)
TRAIN_SAMPLE = 60_000  # vectors k-means is trained on


def _faiss():
    import faiss  # imported lazily: a web process that never searches faces does not load it

    return faiss


def _threads(count: int) -> None:
    # One query is answered fastest on one thread: OpenMP's fan-out costs more than it saves and
    # stalls under concurrent requests. Training and bulk adds use every core.
    _faiss().omp_set_num_threads(count)


@dataclass(frozen=True)
class FaceMatch:
    id: int
    distance: float


def _as_matrix(vectors) -> np.ndarray:
    matrix = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(-1, DIM))
    if not np.isfinite(matrix).all():
        raise ValueError("face descriptors must be finite numbers")
    return matrix


class FaceIndex:
    """A searchable set of (id, descriptor); thread-safe; exact while small, IVF once large."""

    def __init__(self, *, exact_max: int = EXACT_MAX, nprobe: int = NPROBE) -> None:
        faiss = _faiss()
        self.exact_max = exact_max
        self.nprobe = nprobe
        self._lock = threading.RLock()
        self._index = faiss.IndexIDMap2(faiss.IndexFlatL2(DIM))
        self._ivf = False
        self._ids: set[int] = set()

    @property
    def kind(self) -> str:
        return "ivf" if self._ivf else "exact"

    def __len__(self) -> int:
        return self._index.ntotal

    def __contains__(self, face_id: int) -> bool:
        return int(face_id) in self._ids

    def add(self, ids, vectors) -> None:
        """Index descriptors under their ids; ids already indexed are ignored."""
        ids = np.ascontiguousarray(np.asarray(ids, dtype=np.int64).reshape(-1))
        matrix = _as_matrix(vectors)
        if len(ids) != len(matrix):
            raise ValueError("one id per descriptor")
        with self._lock:
            fresh = np.array([i not in self._ids for i in ids.tolist()], dtype=bool)
            ids, matrix = ids[fresh], matrix[fresh]
            if not len(ids):
                return
            if not self._ivf and len(self) + len(ids) > self.exact_max:
                self._rebuild_ivf(ids, matrix)
            else:
                self._index.add_with_ids(matrix, ids)
            self._ids.update(ids.tolist())

    def remove(self, ids) -> int:
        ids = np.ascontiguousarray(np.asarray(ids, dtype=np.int64).reshape(-1))
        with self._lock:
            removed = int(self._index.remove_ids(ids))
            self._ids.difference_update(ids.tolist())
            return removed

    def search(self, vector, *, k: int, max_distance: float) -> list[FaceMatch]:
        """Up to `k` indexed faces within `max_distance` of `vector`, nearest first."""
        query = _as_matrix(vector)[:1]
        with self._lock:
            if not len(self):
                return []
            _threads(1)
            squared, ids = self._index.search(query, min(k, len(self)))  # FAISS answers squared L2
        matches = [FaceMatch(int(i), math.sqrt(max(float(d), 0.0))) for d, i in zip(squared[0], ids[0], strict=True)
                   if i >= 0]
        return [match for match in matches if match.distance <= max_distance]

    def _rebuild_ivf(self, new_ids: np.ndarray, new_vectors: np.ndarray) -> None:
        """Move everything into a freshly trained IVF index (called under the lock)."""
        faiss = _faiss()
        _threads(os.cpu_count() or 1)
        old_ids = np.array(sorted(self._ids), dtype=np.int64)
        old = (np.vstack([self._index.reconstruct(int(i)) for i in old_ids]) if len(old_ids)
               else np.empty((0, DIM), np.float32))
        ids = np.concatenate([old_ids, new_ids])
        vectors = np.ascontiguousarray(np.concatenate([old, new_vectors]), dtype=np.float32)
        nlist = max(64, len(vectors) // CELL_SIZE)
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatL2(DIM), DIM, nlist, faiss.METRIC_L2)
        rng = np.random.default_rng(len(vectors))
        ivf.train(vectors[rng.choice(len(vectors), size=min(TRAIN_SAMPLE, len(vectors)), replace=False)])
        ivf.nprobe = min(self.nprobe, nlist)
        # IVF stores ids itself; the hash-table direct map lets remove_ids and reconstruct find them.
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
        ivf.add_with_ids(vectors, ids)
        self._index, self._ivf = ivf, True


def brute_force_search(ids: np.ndarray, vectors: np.ndarray, vector, *, k: int, max_distance: float) -> list[FaceMatch]:
    """The exact answer (numpy), for measuring the index's recall."""
    query = _as_matrix(vector)[0]
    distances = np.empty(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), 65_536):  # chunks: no 512 MB temporary at a million faces
        distances[start:start + 65_536] = np.linalg.norm(vectors[start:start + 65_536] - query, axis=1)
    order = np.argsort(distances)[:k]
    return [FaceMatch(int(ids[i]), float(distances[i])) for i in order if distances[i] <= max_distance]


def synthetic_descriptors(identities: int, *, per_identity: int = 1, seed: int = 0,
                          spread: float = 0.06, noise: float = 0.025) -> tuple[np.ndarray, np.ndarray]:
    """(identity of each row, descriptors) shaped like dlib's: people ~0.96 apart, photos of one
    person ~0.4 apart. For benchmarks and tests; no real face is involved."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, spread, (identities, DIM)).astype(np.float32)
    owner = np.repeat(np.arange(identities), per_identity)
    vectors = centres[owner] + rng.normal(0, noise, (len(owner), DIM)).astype(np.float32)
    return owner, vectors


def synthetic_photo(stored: np.ndarray, *, seed: int, noise: float = 0.035) -> np.ndarray:
    """Another photo of the people whose stored descriptors are `stored` (one per row): ~0.4 away."""
    rng = np.random.default_rng(seed)
    return (stored + rng.normal(0, noise, stored.shape)).astype(np.float32)
