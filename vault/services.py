"""Writes of keys: create, destroy (crypto-shredding) and rotate. See `vault.crypto` for the layers."""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .crypto import AESGCM, key_new, key_unwrap, key_wrap
from .models import DataKey, ProjectKey
from .selectors import (
    data_key_cache,
    data_key_raw,
    master_key_get,
    master_keys,
    project_key_cache,
    project_key_cache_key,
    project_key_cipher,
)

logger = logging.getLogger(__name__)

# Re-wrapping rows per transaction during a rotation: short locks, resumable after a crash.
ROTATE_BATCH_SIZE = 1000
# Longer than any request takes between reading the current project key and saving a data key under it.
RETIRED_KEY_GRACE = timedelta(minutes=10)


def project_key_current(*, project_id: int) -> ProjectKey:
    """The project's newest live key; its first one is made on first use."""
    current = ProjectKey.objects.filter(project_id=project_id, retired_at__isnull=True).order_by("-version").first()
    if current is not None:
        return current
    return _project_key_add(project_id=project_id)


def _project_key_add(*, project_id: int) -> ProjectKey:
    master = master_keys()[0]
    latest = ProjectKey.objects.filter(project_id=project_id).order_by("-version").first()
    project_key = ProjectKey(project_id=project_id, version=(latest.version + 1) if latest else 1,
                             master_key_id=master.key_id)
    plain = key_new()
    project_key.wrapped = key_wrap(master.secret, plain, label=project_key.label)
    try:
        with transaction.atomic():
            project_key.save()
    except IntegrityError:
        # Another request made this version first: use theirs.
        return ProjectKey.objects.get(project_id=project_id, version=project_key.version)
    project_key_cache.put(project_key_cache_key(project_key), AESGCM(plain))
    return project_key


def data_key_create(*, project_id: int) -> DataKey:
    """A fresh data key for one submission, wrapped by the project's current key."""
    project_key = project_key_current(project_id=project_id)
    data_key = DataKey(id=uuid.uuid4(), project_key=project_key)
    plain = key_new()
    data_key.wrapped = key_wrap(project_key_cipher(project_key), plain, label=data_key.label)
    data_key.save(force_insert=True)
    data_key_cache.put(data_key.pk.bytes, AESGCM(plain))
    return data_key


def data_key_destroy(*, data_key_id: uuid.UUID) -> None:
    """Crypto-shredding: without its wrapped key, nothing sealed under it opens again.

    Inside the erasure's transaction. Other workers may keep the plaintext key cached for
    `KEY_CACHE_SECONDS` at most; the erasure deletes the ciphertexts too, so nothing is left for it.
    """
    DataKey.objects.filter(pk=data_key_id).update(wrapped=None, destroyed_at=timezone.now())
    transaction.on_commit(lambda: data_key_cache.evict(data_key_raw(data_key_id)))
    data_key_cache.evict(data_key_raw(data_key_id))


@dataclass
class RotationReport:
    project_keys: int = 0
    data_keys: int = 0
    retired: int = 0


def master_keys_rewrap() -> RotationReport:
    """Re-wrap every live project key under the current master key (the first of KYC_MASTER_KEYS).

    After it, the older master keys can leave the environment. Idempotent.
    """
    report = RotationReport()
    current = master_keys()[0]
    for pk in ProjectKey.objects.filter(wrapped__isnull=False).exclude(master_key_id=current.key_id).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            project_key = ProjectKey.objects.select_for_update().get(pk=pk)
            if project_key.wrapped is None or project_key.master_key_id == current.key_id:
                continue
            plain = key_unwrap(master_key_get(project_key.master_key_id), bytes(project_key.wrapped),
                               label=project_key.label)
            project_key.wrapped = key_wrap(current.secret, plain, label=project_key.label)
            project_key.master_key_id = current.key_id
            project_key.save(update_fields=["wrapped", "master_key_id"])
            report.project_keys += 1
    return report


def project_key_rotate(*, project_id: int) -> RotationReport:
    """Give the project a new key and re-wrap its data keys under it; the old versions are retired.

    Only the data keys (32 bytes each) are re-wrapped; no personal field or image is re-encrypted.
    A retired version's own material is cleared by `project_keys_purge` once `RETIRED_KEY_GRACE` has
    passed: a request that picked the old version just before the rotation may still be wrapping
    a key with it. Safe to run again after an interruption.
    """
    new = _project_key_add(project_id=project_id)
    ProjectKey.objects.filter(project_id=project_id, retired_at__isnull=True).exclude(pk=new.pk).update(
        retired_at=timezone.now()
    )
    report = _data_keys_move(project_id=project_id, to=new)
    report.project_keys = 1
    logger.info("project %s key rotated to v%s: %s data keys re-wrapped", project_id, new.version, report.data_keys)
    return report


def _data_keys_move(*, project_id: int, to: ProjectKey) -> RotationReport:
    report = RotationReport()
    new_cipher = project_key_cipher(to)
    for old in ProjectKey.objects.filter(project_id=project_id, wrapped__isnull=False).exclude(pk=to.pk):
        old_cipher = project_key_cipher(old)
        while True:
            with transaction.atomic():
                # Locked and re-read: a key destroyed meanwhile must not be re-wrapped back to life.
                batch = list(
                    DataKey.objects.select_for_update()
                    .filter(project_key=old, wrapped__isnull=False)
                    .order_by("pk")[:ROTATE_BATCH_SIZE]
                )
                for data_key in batch:
                    plain = key_unwrap(old_cipher, bytes(data_key.wrapped), label=data_key.label)
                    data_key.wrapped = key_wrap(new_cipher, plain, label=data_key.label)
                    data_key.project_key = to
                DataKey.objects.bulk_update(batch, ["wrapped", "project_key"])
                report.data_keys += len(batch)
            if len(batch) < ROTATE_BATCH_SIZE:
                break
    return report


def project_keys_purge(*, now=None) -> RotationReport:
    """Finish rotations: move data keys still under retired versions, then clear the material of
    versions retired longer than `RETIRED_KEY_GRACE` that no live data key needs."""
    now = now or timezone.now()
    report = RotationReport()
    project_ids = set(ProjectKey.objects.filter(retired_at__isnull=False, wrapped__isnull=False)
                      .values_list("project_id", flat=True))
    for project_id in sorted(project_ids):
        moved = _data_keys_move(project_id=project_id, to=project_key_current(project_id=project_id))
        report.data_keys += moved.data_keys
        for old in ProjectKey.objects.filter(project_id=project_id, wrapped__isnull=False,
                                             retired_at__lt=now - RETIRED_KEY_GRACE):
            if not DataKey.objects.filter(project_key=old, wrapped__isnull=False).exists():
                ProjectKey.objects.filter(pk=old.pk).update(wrapped=None)
                report.retired += 1
    return report
