"""What the migrations that introduced encryption at rest run over rows written before it.

A sealed field replaced each plaintext column in three steps: the old column renamed `<name>_plain`,
the sealed one added, these functions copying between them (both ways, so the migration can be
reversed without losing data), then the old column removed.
"""

from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from .crypto import blob_is_sealed
from .fields import blob_open, blob_seal
from .services import data_key_create

BATCH = 500


def _is_empty(value) -> bool:
    return value is None or (not isinstance(value, (int, float, bool)) and len(value) == 0)


def sealed_fields_fill(apps, app_label: str, model_name: str, names: Iterable[str], *,
                       related: str | None = None) -> None:
    """Forward: copy each `<name>_plain` into the sealed `<name>`."""
    model = apps.get_model(app_label, model_name)
    rows = model.objects.select_related(related) if related else model.objects.all()
    for row in rows.iterator(chunk_size=BATCH):
        changed = [name for name in names if not _is_empty(getattr(row, f"{name}_plain"))]
        for name in changed:
            setattr(row, name, getattr(row, f"{name}_plain"))
        if changed:
            row.save(update_fields=changed)


def sealed_fields_drain(apps, app_label: str, model_name: str, names: Iterable[str], *,
                        related: str | None = None, nullable: Iterable[str] = ()) -> None:
    """Backward: copy each sealed `<name>` back into `<name>_plain`; an empty value becomes the sealed
    field's own empty ("", {}, b""), or NULL for the `nullable` columns (as they were before)."""
    model = apps.get_model(app_label, model_name)
    rows = model.objects.select_related(related) if related else model.objects.all()
    for row in rows.iterator(chunk_size=BATCH):
        for name in names:
            value = getattr(row, name)
            if _is_empty(value):
                value = None if name in nullable else model._meta.get_field(name).empty()
            setattr(row, f"{name}_plain", value)
        row.save(update_fields=[f"{name}_plain" for name in names])


def submission_keys_create(apps, email_key) -> None:
    """Give every submission written before encryption its own data key and email lookup hash."""
    submission_model = apps.get_model("submissions", "Submission")
    for row in submission_model.objects.filter(data_key__isnull=True).iterator(chunk_size=BATCH):
        row.data_key_id = data_key_create(project_id=row.project_id).pk
        row.email_key = email_key(row.email_plain)
        row.save(update_fields=["data_key", "email_key"])


def stored_files_seal(apps, context: bytes, *, forward: bool = True) -> None:
    """Rewrite each stored image sealed (forward) or plain (backward): the new object is saved
    under a new name, and the old one deleted after the migration commits, so a failure loses nothing."""
    stored_model = apps.get_model("submissions", "StoredFile")
    for row in stored_model.objects.select_related("submission").iterator(chunk_size=BATCH):
        try:
            with default_storage.open(row.file.name, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            continue
        if blob_is_sealed(data) == forward:
            continue
        if forward:
            data = blob_seal(data, key_id=row.submission.data_key_id, context=context)
        else:
            data = blob_open(data, context=context)
            if data is None:
                continue
        old = row.file.name
        row.file.name = default_storage.save(old, ContentFile(data))
        row.save(update_fields=["file"])
        # Only once the rows naming the new objects are committed: a failed migration keeps the old ones.
        transaction.on_commit(lambda old=old: default_storage.delete(old))
