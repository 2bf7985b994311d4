"""Reads of the document registries, shaped for the Step 1 checks.

Specimen hashes are compared in memory: the whole table is one uint64 array per hash, reloaded
only when the registry changed (one aggregate query on the primary key tells). Templates are
fetched by their indexed (country, id type, side) and their decoded features cached per row.
Invalidated numbers are one indexed `IN` query over the number's key (look-alikes folded) and its
prefixes.
"""

import threading
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Max, Q

from verification.registry import Features, HashMatch, HashTable, ImageHashes, hash_to_unsigned, hashes_nearest

from .choices import InvalidationMatch
from .models import DocumentSpecimen, DocumentTemplate, InvalidatedDocument, document_number_key


@dataclass
class SpecimenTable:
    ids: np.ndarray  # int64
    sides: np.ndarray  # str
    hashes: HashTable

    def __len__(self) -> int:
        return len(self.ids)

    def side(self, side: str) -> tuple[np.ndarray, HashTable]:
        rows = np.flatnonzero(self.sides == side)
        table = self.hashes
        return self.ids[rows], HashTable(table.phashes[rows], table.dhashes[rows], table.blocks[rows],
                                         table.masks[rows])


_lock = threading.Lock()
_specimen_cache: dict[str, object] = {"version": None, "table": None}
_template_cache: dict[tuple, Features] = {}
TEMPLATE_CACHE_SIZE = 256


def _specimen_version() -> tuple:
    # Any add or delete changes the count or the newest id; created_at tells apart rows that
    # reuse an id after a rolled-back transaction.
    agg = DocumentSpecimen.objects.aggregate(n=Count("id"), last=Max("id"), newest=Max("created_at"))
    return agg["n"], agg["last"], agg["newest"]


def specimen_table() -> SpecimenTable:
    """Every specimen's hashes as arrays, cached in process until the registry changes."""
    version = _specimen_version()
    with _lock:
        if _specimen_cache["version"] == version:
            return _specimen_cache["table"]
    rows = list(DocumentSpecimen.objects.order_by("id").values_list("id", "side", "phash", "dhash", "block_hash",
                                                                     "block_mask"))
    table = SpecimenTable(
        ids=np.array([r[0] for r in rows], np.int64),
        sides=np.array([r[1] for r in rows], dtype=object),
        hashes=HashTable(
            phashes=np.array([hash_to_unsigned(r[2]) for r in rows], np.uint64),
            dhashes=np.array([hash_to_unsigned(r[3]) for r in rows], np.uint64),
            blocks=np.array([np.frombuffer(bytes(r[4]), np.uint8) for r in rows], np.uint8).reshape(-1, 32),
            masks=np.array([np.frombuffer(bytes(r[5]), np.uint8) for r in rows], np.uint8).reshape(-1, 32),
        ),
    )
    with _lock:
        _specimen_cache.update(version=version, table=table)
    return table


@dataclass
class SpecimenMatch:
    specimen_id: int
    country: str
    id_type: str
    side: str
    hash_match: HashMatch


def specimen_nearest(*, hashes: list[ImageHashes], side: str) -> SpecimenMatch | None:
    """The registered specimen of `side` nearest to any of `hashes`, whatever its distance."""
    ids, table = specimen_table().side(side)
    match = hashes_nearest(table, hashes)
    if match is None:
        return None
    specimen_id = int(ids[match.index])
    country, id_type = DocumentSpecimen.objects.filter(pk=specimen_id).values_list("country", "id_type").first() or (
        "", "")
    return SpecimenMatch(specimen_id=specimen_id, country=country, id_type=id_type, side=side, hash_match=match)


@dataclass
class TemplateFeatures:
    template_id: int
    features: Features


def template_features_for(*, country: str, id_type: str, side: str) -> list[TemplateFeatures]:
    """The templates registered for one document kind and side, with decoded features (cached)."""
    rows = list(
        DocumentTemplate.objects.filter(country=country.upper(), id_type=id_type, side=side)
        .order_by("-created_at", "-id").values_list("id", "created_at")
    )
    found = []
    for template_id, created_at in rows:
        key = (template_id, created_at)
        with _lock:
            features = _template_cache.get(key)
        if features is None:
            data = DocumentTemplate.objects.filter(pk=template_id).values_list("features", flat=True).first()
            if data is None:
                continue
            features = Features.from_npz_bytes(bytes(data))
            with _lock:
                if len(_template_cache) >= TEMPLATE_CACHE_SIZE:
                    _template_cache.clear()
                _template_cache[key] = features
        found.append(TemplateFeatures(template_id=template_id, features=features))
    return found


def template_exists_for(*, country: str, id_type: str) -> bool:
    return DocumentTemplate.objects.filter(country=country.upper(), id_type=id_type).exists()


def invalidated_document_find(*, country: str, id_type: str, number: str) -> InvalidatedDocument | None:
    """The entry invalidating `number` of `country` (exact number, or a series it starts with).

    Entries without an id type cover every type. Exact entries win over series; among series
    the longest prefix wins.
    """
    key = document_number_key(number or "")
    if not key:
        return None
    prefixes = [key[:k] for k in range(1, len(key) + 1)]
    candidates = list(
        InvalidatedDocument.objects.filter(country=(country or "").upper(), number_key__in=prefixes)
        .filter(Q(match=InvalidationMatch.EXACT, number_key=key) | Q(match=InvalidationMatch.PREFIX))
        .filter(Q(id_type="") | Q(id_type=id_type))
    )
    if not candidates:
        return None
    return max(candidates, key=lambda e: (e.match == InvalidationMatch.EXACT, len(e.number_key), bool(e.id_type)))
