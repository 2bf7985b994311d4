"""What an attacker holding a database dump or the image store learns: nothing personal.

Real requests through the live server (committed data, so `pg_dump` sees it), the real checks on a
generated passport, a reviewer's edits and note, a Korean bank-account check; then the dump and
the storage are searched for every personal value and image.
"""

import base64
import os
import shutil
import subprocess

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from audit.models import AuditEvent
from audit.services import Actor
from conftest import require_system
from reviews.choices import Decision
from reviews.models import ReviewDecision
from reviews.services import review_decide, review_return
from submissions.models import StoredFile, Submission
from submissions.services import submission_erase
from submissions.tests.apis.helpers import (
    API_DB,
    PRESTEP2,
    step1_ok,
    step2_ok,
    submission_row,
)
from vault.crypto import VaultError, blob_is_sealed, key_unwrap, unseal
from vault.fields import SEALED_TOKEN_PREFIX
from vault.models import DataKey, ProjectKey
from vault.selectors import master_keys
from verification.generator import generate_document, holder_selfie

from .conftest import vault_caches_clear

pytestmark = API_DB

REVIEWER = Actor.system("test reviewer")
HOLDER = {"surname": "WISNIEWSKA", "given_names": "KATARZYNA", "document_number": "EK4417720",
          "birth_date": "1987-06-15"}
EMAIL = "katarzyna.wisniewska@example.com"
ADDRESS = "ul. Zlota 44, 00-120 Warszawa"
EDITED_ADDRESS_NOTE = "confirmed by phone with Katarzyna on +48 601 555 123"
BANK_HOLDER = "Park Jiwoo"


def database_dump() -> str:
    """The whole database as an attacker copying it would get it, as text (binary columns in hex)."""
    if connection.vendor == "postgresql":
        require_system(shutil.which("pg_dump") is not None, "pg_dump (postgresql-client)")
        db = connection.settings_dict
        env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
        command = ["pg_dump", "--data-only", "--no-owner", "-h", db.get("HOST") or "127.0.0.1",
                   "-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or "postgres", db["NAME"]]
        return subprocess.run(command, capture_output=True, check=True, env=env, timeout=120).stdout.decode()
    return "\n".join(connection.connection.iterdump())


def forms_of(value: str) -> set[str]:
    """How a value can appear in a dump: as text in any case, or hex-encoded in a binary column."""
    forms = {value.lower(), value.encode().hex()}
    forms.add(base64.b64encode(value.encode()).decode().lower()[:12])  # base64 inside JSON
    return {form for form in forms if len(form) >= 6}


@pytest.mark.image_checks
def test_a_database_dump_and_the_image_store_hold_no_plaintext_personal_value_or_image(api):
    client, bank_client = api(), api(account_occupancy_kor=True)
    passport = generate_document("passport", seed=41, country="POL", **HOLDER)
    selfie = holder_selfie(passport, seed=41)
    submission_id = step1_ok(client, email=EMAIL, country="POL", id_type="passport", image=passport.front)
    body = step2_ok(client, submission_id, name="Katarzyna Wisniewska", date_of_birth="1987-06-15", face=selfie,
                    formatted_address=ADDRESS, document_number=HOLDER["document_number"])
    assert body["kycStatus"] == "pending", body
    submission = submission_row(submission_id)
    assert submission.extracted_data.get("document_number") == HOLDER["document_number"]  # the OCR read it
    review_decide(submission_id=submission_id, actor=REVIEWER, decision=Decision.APPROVE,
                  note=EDITED_ADDRESS_NOTE, edits={"date_of_issue": "2019-03-04", "identity_number": "87061512345"})
    korean = step1_ok(bank_client, email="jiwoo.park@example.com", country="KOR", id_type="government_id")
    response = bank_client.post_json(PRESTEP2, {"submissionId": korean, "requestType": "occupancy",
                                           "userName": BANK_HOLDER, "bankCode": "004",
                                           "accountNumber": "1234567890"})
    assert response.status_code == 200, response.text

    dump = database_dump().lower()
    personal = [EMAIL, "jiwoo.park@example.com", HOLDER["surname"], HOLDER["given_names"],
                HOLDER["document_number"], "1987-06-15", "870615", ADDRESS, "Zlota 44", EDITED_ADDRESS_NOTE,
                "87061512345", "2019-03-04", BANK_HOLDER]
    found = sorted(value for value in personal for form in forms_of(value) if form in dump)
    assert found == [], f"plaintext personal values in the dump: {found}"
    # The search works: the dump is the real one, and plain values are found in it.
    assert submission_id in dump and any(form in dump for form in forms_of(client.project.name))

    uploads = {"id front": passport.front, "selfie": selfie}
    for name, data in uploads.items():
        assert data[:64].hex() not in dump, f"the {name} image is in the database"
    # This test's applicants' files (other tests leave their own files in the run's storage root).
    stored = set(StoredFile.objects.filter(submission__submission_id__in=[submission_id, korean])
                 .values_list("file", flat=True))
    assert len(stored) >= 3  # ID front, selfie, Korean ID
    for path in stored:
        with default_storage.open(path, "rb") as handle:
            content = handle.read()
        assert blob_is_sealed(content), f"{path} is not sealed"
        assert not content.startswith((b"\xff\xd8", b"\x89PNG")), path
        assert all(data[64:1024] not in content for data in uploads.values())


REJECT_OTHER = "Your passport photo page shows Katarzyna's daughter, not you."
REJECT_EDITED = "The photo of Katarzyna Wisniewska is blurred: retake it in daylight."
RETURN_NOTE = "Checked with Katarzyna's bank officer Malgorzata Lis: keep pending."
INTEGRATION_ADMIN = "ops-agnieszka.kowalczyk"


# Four-eyes needs signed-in reviewers: the user tables too.
@pytest.mark.django_db(transaction=True, available_apps=["django.contrib.contenttypes", "django.contrib.auth",
                                                         "audit", "vault", "submissions", "reviews", "webhooks"])
def test_a_dump_holds_no_reviewer_comment_note_or_integration_admin_in_plain(api, django_user_model):
    # given: a rejection over the data API, with a written comment and an edited message, named
    # by the integration's user; and a four-eyes proposal returned with a note
    client, four_eyes = api(), api(four_eyes_review=True)
    rejected = step1_ok(client, email="reject.me@example.com")
    step2_ok(client, rejected, name="Katarzyna Wisniewska", date_of_birth="1987-06-15")
    response = client.post_json("/v3/submission/review", {
        "submissionId": rejected, "status": "rejected", "admin": INTEGRATION_ADMIN,
        "rejectComment": {"commentCode": ["other", "id_image_badImage"], "comment": [REJECT_OTHER, REJECT_EDITED]}})
    assert response.status_code == 200, response.text
    returned = step1_ok(four_eyes, email="return.me@example.com")
    step2_ok(four_eyes, returned, name="Katarzyna Wisniewska", date_of_birth="1987-06-15")
    rita, sam = (Actor.for_user(django_user_model.objects.create_user(username=name, password="a-long-test-pw"))
                 for name in ("rita", "sam"))
    proposal = review_decide(submission_id=returned, actor=rita, decision=Decision.REJECT, codes=["other"],
                             comment=REJECT_OTHER)
    review_return(submission_id=returned, review_id=proposal.pk, actor=sam, note=RETURN_NOTE)

    # then: the API and the workspace read them as before
    kyc = client.get("/v3/submission", {"submission_id": rejected}).json()["Items"][0]
    assert response.json()["kyc"]["comment"] == [REJECT_OTHER, REJECT_EDITED]
    assert REJECT_OTHER in str(kyc)
    decision = ReviewDecision.objects.get(submission__submission_id=rejected)
    assert decision.comment == REJECT_OTHER and decision.client_messages["id_image_badImage"] == REJECT_EDITED
    assert decision.reviewer_display == f"api:{decision.reviewer_label[4:]} ({INTEGRATION_ADMIN})"
    assert ReviewDecision.objects.get(pk=proposal.pk).second_note == RETURN_NOTE
    assert any(event.after_plain.get("admin") == INTEGRATION_ADMIN
               for event in AuditEvent.objects.filter(submission__submission_id=rejected))

    # and a dump of the database holds none of them
    dump = database_dump().lower()
    free_text = [REJECT_OTHER, REJECT_EDITED, RETURN_NOTE, INTEGRATION_ADMIN, "daughter", "Malgorzata Lis"]
    found = sorted(value for value in free_text for form in forms_of(value) if form in dump)
    assert found == [], f"plaintext reviewer text or integration user in the dump: {found}"
    assert rejected in dump and "rita" in dump  # the dump is the real one: plain columns are in it


def sealed_blobs_of(submission: Submission) -> list[bytes]:
    """Every ciphertext of one submission, as a backup taken before its erasure would keep it."""
    blobs = []
    tables = (("submissions_submission", "id", ("email", "extracted_data", "entered_data", "reject_comments")),
              ("submissions_checkresult", "submission_id", ("evidence", "message")),
              ("submissions_facedescriptor", "submission_id", ("vector",)),
              ("reviews_reviewdecision", "submission_id", ("edits", "internal_note", "comment", "client_messages",
                                                           "second_note", "reviewer_admin")))
    with connection.cursor() as cursor:
        for table, key, columns in tables:
            for column in columns:
                cursor.execute(f"SELECT {column} FROM {table} WHERE {key} = %s", [submission.pk])  # noqa: S608
                blobs += [bytes(row[0]) for row in cursor.fetchall() if row[0] is not None]
        cursor.execute("SELECT after FROM audit_auditevent WHERE submission_id = %s", [submission.pk])
        for (after,) in cursor.fetchall():
            text = after if isinstance(after, str) else str(after)
            blobs += [base64.b64decode(token.split('"')[0].split("'")[0])
                      for token in text.split(SEALED_TOKEN_PREFIX)[1:]]
    for stored in StoredFile.objects.filter(submission=submission):
        with default_storage.open(stored.file.name, "rb") as handle:
            blobs.append(handle.read())
    return blobs


def every_remaining_data_key() -> list[bytes]:
    """Every data key an attacker holding the database and every master key could still unwrap."""
    project_keys = []
    for project_key in ProjectKey.objects.exclude(wrapped=None):
        for master in master_keys():
            try:
                project_keys.append(key_unwrap(master.secret, bytes(project_key.wrapped), label=project_key.label))
            except VaultError:
                continue
    data_keys = []
    for data_key in DataKey.objects.exclude(wrapped=None):
        for project_key in project_keys:
            try:
                data_keys.append(key_unwrap(project_key, bytes(data_key.wrapped), label=data_key.label))
            except VaultError:
                continue
    return data_keys


def opens_with_any(blob: bytes, keys: list[bytes]) -> bool:
    contexts = [b"submissions.submission.email", b"submissions.submission.extracted_data",
                b"submissions.submission.entered_data", b"submissions.checkresult.evidence",
                b"submissions.checkresult.message", b"submissions.facedescriptor.vector",
                b"submissions.submission.reject_comments", b"reviews.reviewdecision.comment",
                b"reviews.reviewdecision.client_messages", b"reviews.reviewdecision.second_note",
                b"reviews.reviewdecision.reviewer_admin",
                b"reviews.reviewdecision.edits", b"reviews.reviewdecision.internal_note",
                b"audit.auditevent.values", b"submissions.storedfile.file"]
    for key in keys:
        for context in contexts:
            try:
                unseal(key, blob, context=context)
                return True
            except VaultError:
                continue
    return False


def test_an_erased_submission_cannot_be_decrypted_with_the_keys_that_remain(api):
    client = api(face_duplicate_verification=True)
    submission_id = step1_ok(client, email="erase.me@example.com")
    step2_ok(client, submission_id, name="Erin Erased", date_of_birth="1979-01-02")
    review_decide(submission_id=submission_id, actor=REVIEWER, decision=Decision.REJECT, codes=["other"],
                  comment="Erin's selfie shows someone else", note="erase me too",
                  edits={"identity_number": "790102-1234567"})
    keep_id = step1_ok(client, email="keep.me@example.com")  # another submission of the same project
    submission = submission_row(submission_id)
    backup = sealed_blobs_of(submission)
    assert len(backup) >= 6
    assert all(opens_with_any(blob, every_remaining_data_key()) for blob in backup)  # the test can fail

    submission_erase(project=client.project, submission_id=submission_id, actor=REVIEWER)
    vault_caches_clear()

    assert DataKey.objects.get(pk=submission.data_key_id).wrapped is None
    remaining = every_remaining_data_key()
    assert remaining  # the other submission's key, the project's key and the master key remain
    assert not any(opens_with_any(blob, remaining) for blob in backup)
    assert submission_row(keep_id).email == "keep.me@example.com"
