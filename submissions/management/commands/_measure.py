"""What `kyc_eval` and `kyc_bench` share: real HTTP requests against a throw-away project.

Both post generated documents through the real views; nothing they write may stay. `rolled_back()`
undoes the database, `temporary_media()` keeps uploaded files out of the configured storage, and
`api_client(project)` is a test client holding a fresh key of that project.
"""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings

from submissions.models import Project
from submissions.services import api_key_create


class _Rollback(Exception):
    pass


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a transaction that is always rolled back (exceptions of the block propagate)."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


@contextmanager
def temporary_media() -> Iterator[None]:
    """Uploads go to a temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory() as media, override_settings(STORAGES={**settings.STORAGES, "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": media}}}):
        yield


def api_client(project: Project) -> Client:
    _, key = api_key_create(project=project)
    return Client(headers={"x-api-key": key}, SERVER_NAME="localhost")


def jpeg_upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")
