"""specimen_add / specimen_delete: hashes derived from the image, file in storage, audited."""

import io

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image

from audit.models import AuditEvent
from conftest import image_bytes
from documents.models import DocumentSpecimen
from documents.services import specimen_add, specimen_delete
from verification.registry import hash_to_unsigned
from verification.tests.registry_samples import document

pytestmark = pytest.mark.django_db


def test_specimen_add_stores_the_image_and_its_hashes(actor, operator):
    # given a published specimen image
    data = document("passport", 0, ("specimen",)).front
    # when an operator registers it
    specimen = specimen_add(country="uto", id_type="passport", side="front", image=data, note="ICAO", actor=actor)
    # then the row carries the derived hashes and the file is in storage
    specimen.refresh_from_db()
    assert (specimen.country, specimen.id_type, specimen.side, specimen.note) == ("UTO", "passport", "front", "ICAO")
    assert specimen.document_detected and specimen.created_by == operator
    assert 0 < hash_to_unsigned(specimen.phash) < 2**64 and len(bytes(specimen.block_hash)) == 32
    assert default_storage.exists(specimen.image.name) and specimen.image.name.startswith("documents/specimens/")
    assert (specimen.width, specimen.height) == (1600, 1000)
    event = AuditEvent.objects.get(action="document_specimen_added")
    assert event.actor_user == operator and event.after["id"] == specimen.pk


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"country": "XXX"}, "not an ISO 3166-1 alpha-3"),
    ({"id_type": "visa"}, "is not an id type"),
    ({"side": "inside"}, "is not a side"),
    ({"image": b"not an image"}, "Not an accepted image"),
])
def test_specimen_add_refuses_bad_input_and_writes_nothing(actor, kwargs, message):
    arguments = {"country": "FRA", "id_type": "passport", "side": "front", "image": image_bytes(), **kwargs}
    with pytest.raises(ValidationError, match=message):
        specimen_add(actor=actor, **arguments)
    assert not DocumentSpecimen.objects.exists() and not AuditEvent.objects.exists()


def test_an_image_without_a_document_outline_is_hashed_whole(actor):
    # a flat scan: the card fills the image, there is no border to find
    flat = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(90, 110, (400, 640, 3), dtype=np.uint8)).save(flat, "PNG")
    specimen = specimen_add(country="FRA", id_type="passport", image=flat.getvalue(), actor=actor)
    assert not specimen.document_detected and specimen.image.name.endswith(".png")


def test_specimen_delete_removes_row_and_file_and_audits(actor, django_capture_on_commit_callbacks):
    specimen = specimen_add(country="FRA", id_type="passport", image=image_bytes(), actor=actor)
    name = specimen.image.name
    with django_capture_on_commit_callbacks(execute=True):
        specimen_delete(specimen=specimen, actor=actor)
    assert not DocumentSpecimen.objects.exists() and not default_storage.exists(name)
    assert AuditEvent.objects.get(action="document_specimen_deleted").before["sha256"] == specimen.sha256
