"""SealedField: the attribute is plaintext, the column is ciphertext under the submission's key."""

import pytest
from django.db import connection, transaction

from reviews.models import ReviewDecision
from submissions.models import CheckResult, Submission, submission_email_key
from submissions.tests.factories import SubmissionFactory
from vault.crypto import VaultError, blob_is_sealed, sealed_key_id

pytestmark = pytest.mark.django_db


def raw_column(table: str, column: str, pk: int):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - test's own names
        value = cursor.fetchone()[0]
    return None if value is None else bytes(value)


def test_a_submission_gets_its_own_data_key_and_its_columns_hold_ciphertext(cold_keys):
    submission = SubmissionFactory(email="Anna.Nowak@example.com", entered_data={"name": "Anna Nowak"})
    other = SubmissionFactory(project=submission.project)
    assert submission.data_key_id is not None and submission.data_key_id != other.data_key_id
    email = raw_column("submissions_submission", "email", submission.pk)
    entered = raw_column("submissions_submission", "entered_data", submission.pk)
    for blob in (email, entered):
        assert blob_is_sealed(blob) and sealed_key_id(blob) == submission.data_key_id
    assert b"Nowak" not in email + entered
    assert submission.email_key == submission_email_key("anna.nowak@example.com ")

    cold_keys()  # a new process: the key comes from the database, unwrapped through project and master keys
    loaded = Submission.objects.get(pk=submission.pk)
    assert loaded.email == "Anna.Nowak@example.com" and loaded.entered_data["name"] == "Anna Nowak"


def test_empty_values_are_stored_as_null_and_read_back_empty():
    submission = SubmissionFactory(step1_done=True)
    assert raw_column("submissions_submission", "extracted_data", submission.pk) is None
    assert Submission.objects.get(pk=submission.pk).extracted_data == {}


def test_rows_of_a_submission_are_sealed_with_its_key(cold_keys):
    submission = SubmissionFactory(target_status="pending")
    result = CheckResult.objects.create(submission=submission, step="step1", attempt=0, check_name="mrz",
                                        outcome="passed", message="Read ANNA NOWAK", duration_ms=1,
                                        evidence={"lines": ["P<POLNOWAK<<ANNA"]})
    decision = ReviewDecision.objects.create(submission=submission, reviewer_label="r", decision="approve",
                                             internal_note="phoned her", edits={"name": "Anna Nowak"})
    for table, column, pk in (("submissions_checkresult", "evidence", result.pk),
                              ("submissions_checkresult", "message", result.pk),
                              ("reviews_reviewdecision", "edits", decision.pk),
                              ("reviews_reviewdecision", "internal_note", decision.pk)):
        blob = raw_column(table, column, pk)
        assert sealed_key_id(blob) == submission.data_key_id and b"NOWAK" not in blob.upper()
    cold_keys()
    assert CheckResult.objects.get(pk=result.pk).evidence == {"lines": ["P<POLNOWAK<<ANNA"]}
    assert ReviewDecision.objects.get(pk=decision.pk).internal_note == "phoned her"


def test_an_unchanged_value_is_not_re_encrypted_on_save():
    submission = SubmissionFactory(email="same@example.com")
    before = raw_column("submissions_submission", "email", submission.pk)
    loaded = Submission.objects.get(pk=submission.pk)
    loaded.save()  # email never read: its ciphertext is written back as loaded
    assert raw_column("submissions_submission", "email", submission.pk) == before


def test_a_bulk_write_of_a_personal_value_is_refused_rather_than_stored_in_clear():
    submission = SubmissionFactory()
    with pytest.raises(VaultError), transaction.atomic():
        Submission.objects.filter(pk=submission.pk).update(email="clear@example.com")
    Submission.objects.filter(pk=submission.pk).update(entered_data={})  # emptying needs no key
    assert Submission.objects.get(pk=submission.pk).entered_data == {}


def test_a_lookup_by_email_goes_through_its_keyed_hash():
    submission = SubmissionFactory(email="kim@example.com")
    SubmissionFactory(project=submission.project, email="lee@example.com")
    found = Submission.objects.filter(email_key=submission_email_key("KIM@example.com"))
    assert list(found) == [submission]
    assert submission_email_key("kim@example.com") != submission_email_key("lee@example.com")
