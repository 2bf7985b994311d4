"""Reads of keys: the master keys from settings, and plaintext project and data keys through a
small in-process cache (an unwrap is microseconds; the row fetch is what the cache saves)."""

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import F

from .crypto import AESGCM, MasterKey, VaultError, key_unwrap, master_key_derive, master_keys_parse
from .models import DataKey, ProjectKey, data_key_label

# Bounded in size and age: a destroyed key must not stay usable in another worker for long, and
# a worker must not hold every key of a large deployment. Erasure also evicts in its own process.
KEY_CACHE_SIZE = 20_000
KEY_CACHE_SECONDS = 300.0


class _KeyCache:
    """Keys in memory for a few minutes. Reads take no lock (a dict read is atomic); writes do."""

    def __init__(self) -> None:
        self._items: OrderedDict[object, tuple[object, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object) -> tuple[bool, object]:
        item = self._items.get(key)
        if item is None or item[1] < time.monotonic():
            return False, None
        return True, item[0]

    def put(self, key: object, value: object) -> None:
        with self._lock:
            self._items[key] = (value, time.monotonic() + KEY_CACHE_SECONDS)
            self._items.move_to_end(key)
            while len(self._items) > KEY_CACHE_SIZE:
                self._items.popitem(last=False)

    def evict(self, key: object) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


data_key_cache = _KeyCache()
project_key_cache = _KeyCache()


@lru_cache(maxsize=4)
def _master_keys(configured: str, derive_from: str) -> tuple[MasterKey, ...]:
    if configured:
        return tuple(master_keys_parse(configured))
    if derive_from:
        return (master_key_derive(derive_from),)
    raise ImproperlyConfigured(
        "KYC_MASTER_KEYS is not set: generate one with `manage.py kyc_keys new-master` (docs/security.md)"
    )


def master_keys() -> tuple[MasterKey, ...]:
    """The configured master keys, the current one first."""
    derive = settings.SECRET_KEY if settings.KYC_MASTER_KEY_FROM_SECRET else ""
    return _master_keys(settings.KYC_MASTER_KEYS, derive)


def master_key_get(key_id: str) -> bytes:
    for key in master_keys():
        if key.key_id == key_id:
            return key.secret
    raise VaultError(f"master key {key_id!r} is not in KYC_MASTER_KEYS")


def project_key_cache_key(project_key: ProjectKey) -> tuple[int, bytes]:
    # With its wrapped bytes (random per key): a row id that a rolled-back transaction hands out
    # again (SQLite) can never find another key's plaintext.
    return project_key.pk, bytes(project_key.wrapped)


def project_key_cipher(project_key: ProjectKey) -> AESGCM:
    """The project key, as a cipher ready to wrap and unwrap its data keys."""
    if project_key.wrapped is None:
        raise VaultError(f"{project_key} is retired")
    found, cipher = project_key_cache.get(project_key_cache_key(project_key))
    if found and cipher is not None:
        return cipher
    plain = key_unwrap(master_key_get(project_key.master_key_id), bytes(project_key.wrapped), label=project_key.label)
    cipher = AESGCM(plain)
    project_key_cache.put(project_key_cache_key(project_key), cipher)
    return cipher


def data_key_raw(key_id: uuid.UUID | bytes) -> bytes:
    # The cache is keyed by the id's 16 bytes, as a sealed blob carries it: no UUID built a read.
    return key_id.bytes if isinstance(key_id, uuid.UUID) else bytes(key_id)


# What a key fetch reads of each data key: its id, wrapped bytes, and its project key's columns.
_DATA_KEY_SQL = (
    'SELECT d.id, d.wrapped, p.id, p.project_id, p.version, p.master_key_id, p.wrapped '
    'FROM "{data}" d JOIN "{project}" p ON p.id = d.project_key_id WHERE d.id IN ({params})'
)


def _data_keys_unwrap(rows: Iterable[tuple]) -> dict[bytes, AESGCM | None]:
    """(key id, wrapped, project key id, project id, version, master key id, project wrapped) -> ciphers."""
    found: dict[bytes, AESGCM | None] = {}
    project_keys: dict[int, ProjectKey] = {}
    for key_id, wrapped, project_key_id, project_id, version, master_key_id, project_wrapped in rows:
        if wrapped is None:
            found[key_id.bytes] = None
            continue
        if project_key_id not in project_keys:
            project_keys[project_key_id] = ProjectKey(pk=project_key_id, project_id=project_id, version=version,
                                                      master_key_id=master_key_id, wrapped=project_wrapped)
        plain = key_unwrap(project_key_cipher(project_keys[project_key_id]), bytes(wrapped),
                           label=data_key_label(key_id))
        found[key_id.bytes] = AESGCM(plain)
    return found


def _data_keys_fetch(raw_ids: set[bytes]) -> dict[bytes, AESGCM | None]:
    # One plain statement for a page's keys: the ORM's compiling and model building would cost
    # more than the unwrapping itself.
    key_field = DataKey._meta.pk
    params = [key_field.get_db_prep_value(uuid.UUID(bytes=raw), connection) for raw in raw_ids]
    sql = _DATA_KEY_SQL.format(data=DataKey._meta.db_table, project=ProjectKey._meta.db_table,
                               params=", ".join(["%s"] * len(params)))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _data_keys_unwrap((key_field.to_python(row[0]), *row[1:]) for row in rows)


# Annotations that make a list query's rows carry their own keys: no query and no model more.
DATA_KEY_ANNOTATIONS = {
    "vault_wrapped": F("data_key__wrapped"),
    "vault_project_key_id": F("data_key__project_key_id"),
    "vault_project_id": F("data_key__project_key__project_id"),
    "vault_version": F("data_key__project_key__version"),
    "vault_master_key_id": F("data_key__project_key__master_key_id"),
    "vault_project_wrapped": F("data_key__project_key__wrapped"),
}


def _data_keys_cache(rows: Iterable[tuple]) -> None:
    """Unwrap and cache the keys of `_data_keys_unwrap` rows that are not cached yet."""
    for raw, cipher in _data_keys_unwrap(row for row in rows if not data_key_cache.get(row[0].bytes)[0]).items():
        data_key_cache.put(raw, cipher)


def data_keys_from_rows(rows: Iterable[Any]) -> None:
    """Cache the keys of rows read with `.annotate(**DATA_KEY_ANNOTATIONS)` that are not cached yet."""
    _data_keys_cache(
        (row.data_key_id, row.vault_wrapped, row.vault_project_key_id, row.vault_project_id, row.vault_version,
         row.vault_master_key_id, row.vault_project_wrapped) for row in rows if row.data_key_id is not None)


def data_key_cipher(key_id: uuid.UUID | bytes) -> AESGCM | None:
    """The data key, as a cipher ready to use; None once destroyed (the submission was erased)."""
    raw = data_key_raw(key_id)
    found, plain = data_key_cache.get(raw)
    if found:
        return plain
    fetched = _data_keys_fetch({raw})
    if raw not in fetched:
        raise VaultError(f"data key {uuid.UUID(bytes=raw)} does not exist")
    data_key_cache.put(raw, fetched[raw])
    return fetched[raw]


def data_keys_warm(key_ids: Iterable[uuid.UUID | bytes | None]) -> None:
    """Load the keys of a page's rows not cached yet in one query (none when a warm worker has them all)."""
    missing = {raw for raw in (data_key_raw(k) for k in key_ids if k is not None) if not data_key_cache.get(raw)[0]}
    if missing:
        for raw, plain in _data_keys_fetch(missing).items():
            data_key_cache.put(raw, plain)


def data_keys_remember(data_keys: Iterable[DataKey | None]) -> None:
    """Cache keys a query already joined (`select_related("data_key__project_key")`): no query at all."""
    fresh = [key for key in data_keys if key is not None and not getattr(key, "_vault_remembered", False)]
    for data_key in fresh:
        data_key._vault_remembered = True  # a row's fields all ask: answer the first only
    _data_keys_cache(
        (key.pk, key.wrapped, key.project_key_id, key.project_key.project_id, key.project_key.version,
         key.project_key.master_key_id, key.project_key.wrapped) for key in fresh)
