"""Face duplicate verification through the API: an approved face under another identity.

Real faces: the generator's passport and the holder's own portrait as the selfie
(`holder_selfie`); the same selfie sent under another name is the duplicate.
"""

import pytest
from django.db import DatabaseError

from audit.services import Actor
from conftest import assert_error
from reviews.services import review_approve
from submissions.models import FaceDescriptor, submission_email_key
from submissions.selectors import face_indexes_forget
from submissions.tests.apis.helpers import API_DB, changes_nothing, step1_ok, step2_ok
from verification.generator import generate_document, holder_selfie

pytestmark = [API_DB, pytest.mark.image_checks]

REVIEWER = Actor.system("test reviewer")
DUPLICATED = {"result": "rejected", "commentCode": ["duplicated_face"],
              "comment": ["Duplicate face image, the user has already approved"]}


@pytest.fixture(autouse=True)
def fresh_face_indexes():
    face_indexes_forget()  # each test starts as a new process would
    yield
    face_indexes_forget()


@pytest.fixture(scope="module")
def holder():
    doc = generate_document("passport", seed=31, country="POL")
    return doc, holder_selfie(doc, seed=31)


def apply(client, holder, *, email: str, name: str, dob: str = "1988-02-03") -> dict:
    doc, selfie = holder
    submission_id = step1_ok(client, email=email, country="POL", id_type="passport", image=doc.front)
    return step2_ok(client, submission_id, name=name, date_of_birth=dob, face=selfie)


def approve(body: dict) -> None:
    assert body["kycStatus"] == "pending", body
    review_approve(submission_id=body["submissionId"], actor=REVIEWER)


def test_an_approved_face_under_another_identity_is_rejected_as_duplicated(api, holder):
    client = api(face_duplicate_verification=True, face_duplicate_limit=1)
    approve(apply(client, holder, email="first@example.com", name="Ewa Lis"))
    face_indexes_forget()  # another web process: it loads the approved face from the database
    body = apply(client, holder, email="second@example.com", name="Olga Nowak")
    assert body["kycStatus"] == "rejected" and body["kyc"] == DUPLICATED
    second = FaceDescriptor.objects.get(submission__email_key=submission_email_key("second@example.com"))
    assert second.approved_at is None  # a rejected face is never searched


def test_the_limit_tolerates_a_twin_and_rejects_at_the_second_match(api, holder):
    client = api(face_duplicate_verification=True, face_duplicate_limit=2)
    approve(apply(client, holder, email="a@example.com", name="Ewa Lis"))
    twin = apply(client, holder, email="b@example.com", name="Ada Lis")
    approve(twin)  # one match: a twin is let through to review
    third = apply(client, holder, email="c@example.com", name="Iga Lis")
    assert third["kycStatus"] == "rejected" and third["kyc"] == DUPLICATED


def test_the_same_identity_applying_again_is_not_its_own_duplicate(api, holder):
    client = api(face_duplicate_verification=True, face_duplicate_limit=1)
    approve(apply(client, holder, email="old@example.com", name="Ewa Lis"))
    again = apply(client, holder, email="new@example.com", name="EWA  lis")
    assert again["kycStatus"] == "pending"


def test_with_the_option_off_no_face_is_kept(api, holder):
    client = api()
    approve(apply(client, holder, email="a@example.com", name="Ewa Lis"))
    assert apply(client, holder, email="b@example.com", name="Olga Nowak")["kycStatus"] == "pending"
    assert not FaceDescriptor.objects.exists()


def test_a_failed_search_is_face_validation_error_and_changes_nothing(api, holder, monkeypatch):
    client = api(face_duplicate_verification=True)
    doc, selfie = holder
    submission_id = step1_ok(client, email="a@example.com", country="POL", id_type="passport", image=doc.front)

    def broken(**kwargs):
        raise RuntimeError("index unavailable")

    monkeypatch.setattr("submissions.checks.face_duplicates.face_duplicates_find", broken)
    with changes_nothing():
        response = client.step2(submission_id, name="Ewa Lis", date_of_birth="1988-02-03", face=selfie)
    assert_error(response, "face_validation_error", "Fail to search face to validate duplicated user")


def test_a_failed_write_of_the_face_is_face_validation_error_and_changes_nothing(api, holder, monkeypatch):
    client = api(face_duplicate_verification=True)
    doc, selfie = holder
    submission_id = step1_ok(client, email="a@example.com", country="POL", id_type="passport", image=doc.front)

    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(FaceDescriptor.objects, "update_or_create", broken)
    with changes_nothing():
        response = client.step2(submission_id, name="Ewa Lis", date_of_birth="1988-02-03", face=selfie)
    assert_error(response, "face_validation_error", "Fail to add face image to collection.")
