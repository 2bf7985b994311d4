"""Reads of keys: the master keys from settings, and plaintext project and data keys through a
small in-process cache (an unwrap is microseconds; the row fetch is what the cache saves)."""

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .crypto import MasterKey, VaultError, key_unwrap, master_key_derive, master_keys_parse
from .models import DataKey, ProjectKey

# Bounded in size and age: a destroyed key must not stay usable in another worker for long, and
# a worker must not hold every key of a large deployment. Erasure also evicts in its own process.
KEY_CACHE_SIZE = 20_000
KEY_CACHE_SECONDS = 300.0


class _KeyCache:
    def __init__(self) -> None:
        self._items: OrderedDict[object, tuple[bytes | None, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object) -> tuple[bool, bytes | None]:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[1] < time.monotonic():
                return False, None
            self._items.move_to_end(key)
            return True, item[0]

    def put(self, key: object, value: bytes | None) -> None:
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


def project_key_plain(project_key: ProjectKey) -> bytes:
    if project_key.wrapped is None:
        raise VaultError(f"{project_key} is retired")
    found, plain = project_key_cache.get(project_key_cache_key(project_key))
    if found and plain is not None:
        return plain
    plain = key_unwrap(master_key_get(project_key.master_key_id), bytes(project_key.wrapped), label=project_key.label)
    project_key_cache.put(project_key_cache_key(project_key), plain)
    return plain


def _data_key_unwrap(data_key: DataKey) -> bytes | None:
    if data_key.wrapped is None:
        return None
    return key_unwrap(project_key_plain(data_key.project_key), bytes(data_key.wrapped), label=data_key.label)


def data_key_plain(key_id: uuid.UUID) -> bytes | None:
    """The plaintext data key; None once destroyed (the submission was erased)."""
    found, plain = data_key_cache.get(key_id)
    if found:
        return plain
    data_key = DataKey.objects.select_related("project_key").filter(pk=key_id).first()
    if data_key is None:
        raise VaultError(f"data key {key_id} does not exist")
    plain = _data_key_unwrap(data_key)
    data_key_cache.put(key_id, plain)
    return plain


def data_keys_warm(key_ids: Iterable[uuid.UUID | None]) -> None:
    """Load the keys not cached yet in one query, so a page of rows decrypts without a query a row."""
    missing = {key_id for key_id in key_ids if key_id is not None and not data_key_cache.get(key_id)[0]}
    if not missing:
        return
    for data_key in DataKey.objects.select_related("project_key").filter(pk__in=missing):
        data_key_cache.put(data_key.pk, _data_key_unwrap(data_key))


def data_keys_remember(data_keys: Iterable[DataKey | None]) -> None:
    """Cache keys a query already joined (`select_related("data_key__project_key")`): no query at all."""
    for data_key in data_keys:
        if data_key is not None and not data_key_cache.get(data_key.pk)[0]:
            data_key_cache.put(data_key.pk, _data_key_unwrap(data_key))


# What a list query must load of each row's key for `data_keys_remember`, as `.only()` paths.
DATA_KEY_ROW_FIELDS = (
    "data_key__wrapped",
    "data_key__project_key__project_id",
    "data_key__project_key__version",
    "data_key__project_key__master_key_id",
    "data_key__project_key__wrapped",
)
