"""An event's payload is sealed at rest (issue 14 item 10): the reviewer's comments it copies are not in
a database dump, the receiver still gets and verifies them, and erasing the submission's data blanks
what the events copied (they are sealed with the project's key, which erasure keeps)."""

import json
from unittest import mock

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.services import Actor
from submissions.choices import SubmissionStatus
from submissions.services import submission_erase
from submissions.tests.factories import ProjectFactory, SubmissionFactory
from vault.crypto import blob_is_sealed
from vault.tests.conftest import vault_caches_clear
from vault.tests.test_at_rest import database_dump, forms_of
from webhooks.choices import WebhookTrigger
from webhooks.models import WebhookEvent
from webhooks.services import webhook_deliver, webhook_event_record
from webhooks.tasks import webhook_deliver_task

USERID = "customer-7d1f29-lisowska"
CF1 = "loyalty-card-5561-0093"
COMMENT = "Your selfie shows Agnieszka Lisowska's flat mate, not you"


def raw_payload_column(event_pk: int) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM webhooks_webhookevent WHERE id = %s", [event_pk])
        (value,) = cursor.fetchone()
    return bytes(value)


@pytest.mark.django_db(transaction=True)
def test_a_dump_holds_no_payload_value_and_the_receiver_still_verifies_them(hooked_project, receiver):
    # given: a rejected submission with an applicant's userid, a custom field and a reviewer's comment
    submission = SubmissionFactory(project=hooked_project, userid=USERID, cf1=CF1, target_status=SubmissionStatus.REJECTED)
    submission.reject_comments = [COMMENT]
    submission.save()

    # when: its event is written and sent (by the delivery service itself: this test is about what is
    # stored, and tests before it may have pointed this process's Celery app elsewhere)
    with mock.patch.object(webhook_deliver_task, "delay"):
        event = webhook_event_record(submission=submission, trigger=WebhookTrigger.REJECTED)
    assert webhook_deliver(event_pk=event.pk)

    # then: the receiver verified the body and read every value
    assert receiver.accepted == [str(event.event_id)]
    body = json.loads(receiver.requests[-1].body)
    assert (body["userid"], body["cf"]["cf1"], body["kyc_result"]["comment"]) == (USERID, CF1, [COMMENT])
    # then: the column is ciphertext and the comment is not in a dump (userid and custom fields are
    # plain on the submission by design: docs/security.md, "Not encrypted")
    assert blob_is_sealed(raw_payload_column(event.pk))
    dump = database_dump().lower()
    assert [form for form in forms_of(COMMENT) if form in dump] == []
    assert hooked_project.project_id.lower() in dump  # the dump is the real one


@pytest.mark.django_db
def test_erasing_the_data_blanks_what_the_events_copied_and_keeps_the_rest(
    hooked_project, receiver, django_capture_on_commit_callbacks
):
    # given: two events of a submission, and one of another submission of the project
    submission = SubmissionFactory(project=hooked_project, userid=USERID, cf1=CF1, target_status=SubmissionStatus.REJECTED)
    submission.reject_comments = [COMMENT]
    submission.save()
    other = SubmissionFactory(project=hooked_project, userid="someone-else", target_status=SubmissionStatus.APPROVED)
    first = webhook_event_record(submission=submission, trigger=WebhookTrigger.REJECTED)
    second = webhook_event_record(submission=submission, trigger=WebhookTrigger.UPDATED)
    untouched = webhook_event_record(submission=other, trigger=WebhookTrigger.APPROVED)

    # when: the submission is erased (its data key destroyed)
    with django_capture_on_commit_callbacks(execute=True):
        submission_erase(project=hooked_project, submission_id=submission.submission_id, actor=Actor.system("test"))

    # then: its events keep ids, codes, status and dates, and hold none of the copied values
    for event in WebhookEvent.objects.filter(pk__in=[first.pk, second.pk]):
        payload = event.payload
        assert payload["submission_id"] == submission.submission_id and payload["event_id"] == str(event.event_id)
        assert payload["userid"] == "" and set(payload["cf"].values()) == {""}
        assert payload["kyc_result"]["comment"] == [] and payload["kyc_result"]["status"] == "rejected"
    # then: the erasure's own `delete` event was written and sent, and another submission's event is as it was
    deleted = WebhookEvent.objects.get(submission=submission, trigger=WebhookTrigger.DELETE)
    assert str(deleted.event_id) in receiver.accepted and deleted.payload["userid"] == ""
    assert WebhookEvent.objects.get(pk=untouched.pk).payload["userid"] == "someone-else"


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_existing_payloads_and_unseals_them_on_the_way_back():
    before, after = ("webhooks", "0002_delivery_excerpt_short"), ("webhooks", "0005_event_payload_sealed_cleanup")
    project = ProjectFactory(webhook_url="")  # the project as the schema now is: submissions stays migrated
    payload = {"event_id": "e1", "userid": USERID, "kyc_result": {"comment": [COMMENT]}}
    executor = MigrationExecutor(connection)
    try:
        # given: an event written before payloads were sealed
        executor.migrate([before])
        old_event = executor.loader.project_state([before]).apps.get_model("webhooks", "WebhookEvent")
        row = old_event.objects.create(project_id=project.pk, trigger="rejected", payload=payload)

        # when: migrated forward
        executor.loader.build_graph()
        executor.migrate([after])

        # then: sealed, and the same payload opens
        vault_caches_clear()
        assert blob_is_sealed(raw_payload_column(row.pk)) and COMMENT.encode() not in raw_payload_column(row.pk)
        assert WebhookEvent.objects.get(pk=row.pk).payload == payload

        # when: migrated back
        executor.loader.build_graph()
        executor.migrate([before])

        # then: the plain column again, with the same value
        assert old_event.objects.get(pk=row.pk).payload == payload
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
