"""The registries' admin: add pages post to the services, list with thumbnails, CSV import, deletes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from conftest import image_bytes
from documents.models import DocumentSpecimen, DocumentTemplate, InvalidatedDocument
from documents.services import specimen_add
from submissions.tests.admin.helpers import messages_of, staff_user
from verification.tests.registry_samples import document

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


def upload(data: bytes, name: str = "specimen.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


# -- specimens ---------------------------------------------------------------------------------------


def test_upload_a_specimen_through_the_admin(operator_client, operator):
    # when an operator uploads a specimen on the add page
    url = reverse("admin:documents_documentspecimen_add")
    assert operator_client.get(url).status_code == 200
    response = operator_client.post(url, {
        "country": "POL", "id_type": "passport", "side": "front", "note": "from the ministry site",
        "image": upload(document("passport", 0, ("specimen",), country="POL").front),
    }, follow=True)
    # then the service registered it, with its hashes, and the list shows its thumbnail
    assert response.status_code == 200
    specimen = DocumentSpecimen.objects.get()
    assert (specimen.country, specimen.note, specimen.created_by) == ("POL", "from the ministry site", operator)
    assert specimen.document_detected and specimen.phash != 0
    assert any("Added" in message for message in messages_of(response))
    assert AuditEvent.objects.filter(action="document_specimen_added", actor_user=operator).exists()
    listing = operator_client.get(reverse("admin:documents_documentspecimen_changelist")).content.decode()
    image_url = reverse("admin:documents_documentspecimen_image", args=[specimen.pk])
    assert f'src="{image_url}"' in listing and 'class="kyc-thumb"' in listing
    image = operator_client.get(image_url)
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert "no-store" in image["Cache-Control"]
    assert b"".join(image.streaming_content)[:2] == b"\xff\xd8"
    detail = operator_client.get(reverse("admin:documents_documentspecimen_change", args=[specimen.pk]))
    assert detail.status_code == 200
    assert f"{specimen.phash & (2**64 - 1):016x}" in detail.content.decode()


def test_an_unreadable_upload_shows_the_services_error(operator_client):
    response = operator_client.post(reverse("admin:documents_documentspecimen_add"), {
        "country": "POL", "id_type": "passport", "side": "front", "image": upload(b"%PDF-1.4 not an image"),
    })
    assert response.status_code == 200
    assert "Not an accepted image" in response.content.decode()
    assert not DocumentSpecimen.objects.exists()


def test_deleting_a_specimen_goes_through_the_service(operator_client, actor):
    specimen = specimen_add(country="FRA", id_type="passport", image=image_bytes(), actor=actor)
    url = reverse("admin:documents_documentspecimen_delete", args=[specimen.pk])
    response = operator_client.post(url, {"post": "yes"}, follow=True)
    assert response.status_code == 200 and not DocumentSpecimen.objects.exists()
    assert AuditEvent.objects.filter(action="document_specimen_deleted").exists()


def test_bulk_delete_action_goes_through_the_service(operator_client, actor):
    ids = [specimen_add(country="FRA", id_type="passport", image=image_bytes(), actor=actor).pk for _ in range(2)]
    response = operator_client.post(reverse("admin:documents_documentspecimen_changelist"), {
        "action": "delete_selected", "_selected_action": ids, "post": "yes"}, follow=True)
    assert response.status_code == 200 and not DocumentSpecimen.objects.exists()
    assert AuditEvent.objects.filter(action="document_specimen_deleted").count() == 2


def test_staff_without_permission_cannot_add_or_see_images(client, actor):
    specimen = specimen_add(country="FRA", id_type="passport", image=image_bytes(), actor=actor)
    client.force_login(staff_user("viewer", "documents.view_documentspecimen"))
    assert client.get(reverse("admin:documents_documentspecimen_add")).status_code == 403
    assert client.get(reverse("admin:documents_documentspecimen_image", args=[specimen.pk])).status_code == 200
    client.force_login(staff_user("stranger"))
    assert client.get(reverse("admin:documents_documentspecimen_image", args=[specimen.pk])).status_code == 403


# -- templates ---------------------------------------------------------------------------------------


def test_upload_a_template_through_the_admin(operator_client):
    response = operator_client.post(reverse("admin:documents_documenttemplate_add"), {
        "country": "UTO", "id_type": "government_id", "side": "front",
        "image": upload(document("id_card", 10, country="UTO").front, "template.jpg"),
    }, follow=True)
    assert response.status_code == 200
    template = DocumentTemplate.objects.get()
    assert template.keypoint_count > 300 and template.country == "UTO"
    listing = operator_client.get(reverse("admin:documents_documenttemplate_changelist")).content.decode()
    assert reverse("admin:documents_documenttemplate_image", args=[template.pk]) in listing
    assert str(template.keypoint_count) in listing


def test_a_template_without_print_is_refused_on_the_form(operator_client):
    response = operator_client.post(reverse("admin:documents_documenttemplate_add"), {
        "country": "UTO", "id_type": "government_id", "side": "front", "image": upload(image_bytes())})
    assert "distinctive points" in response.content.decode() and not DocumentTemplate.objects.exists()


# -- invalidated documents ---------------------------------------------------------------------------


def test_add_an_invalidated_number(operator_client):
    response = operator_client.post(reverse("admin:documents_invalidateddocument_add"), {
        "country": "FRA", "number_or_prefix": "ab 12*", "id_type": "", "reason": "series withdrawn"}, follow=True)
    assert response.status_code == 200
    entry = InvalidatedDocument.objects.get()
    assert (entry.number, entry.match, entry.source) == ("AB12", "prefix", "admin")


def test_csv_import_page(operator_client, operator):
    # the changelist links to the import page
    listing = operator_client.get(reverse("admin:documents_invalidateddocument_changelist")).content.decode()
    url = reverse("admin:documents_invalidateddocument_import")
    assert url in listing and "Import CSV" in listing
    assert operator_client.get(url).status_code == 200
    # when a CSV is posted
    csv = b"country,number_or_prefix,reason\nFRA,123456,stolen\nPOL,XY*,batch recalled,passport\n"
    response = operator_client.post(url, {"file": SimpleUploadedFile("recalled.csv", csv, "text/csv")}, follow=True)
    # then both rows are in, sourced from the file
    assert response.status_code == 200
    assert set(InvalidatedDocument.objects.values_list("country", "number", "match", "source")) == {
        ("FRA", "123456", "exact", "csv:recalled.csv"), ("POL", "XY", "prefix", "csv:recalled.csv")}
    assert any("Imported 2 entries" in message for message in messages_of(response))
    assert AuditEvent.objects.get(action="invalidated_documents_imported").actor_user == operator


def test_csv_import_errors_are_listed_and_nothing_is_imported(operator_client):
    csv = b"FRA,123456,stolen\nNOPE,1,x\n"
    response = operator_client.post(reverse("admin:documents_invalidateddocument_import"),
                                    {"file": SimpleUploadedFile("bad.csv", csv, "text/csv")})
    assert response.status_code == 200
    assert "Line 2:" in response.content.decode() and not InvalidatedDocument.objects.exists()


def test_registries_are_read_only_after_creation(operator_client, actor):
    specimen = specimen_add(country="FRA", id_type="passport", image=image_bytes(), actor=actor)
    response = operator_client.post(reverse("admin:documents_documentspecimen_change", args=[specimen.pk]),
                                    {"country": "POL"})
    assert response.status_code == 403
    specimen.refresh_from_db()
    assert specimen.country == "FRA"
