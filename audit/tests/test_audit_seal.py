"""audit_seal: appends unsealed events to their project's chain, in order, once."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from audit.chain import AUDIT_CHAIN_GENESIS, audit_content_digest, audit_event_canonical, audit_event_hash
from audit.models import AuditChainHead, AuditEvent
from audit.selectors import audit_verify
from audit.services import Actor, audit_seal
from conftest import require_system
from submissions.tests.factories import ProjectFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


def chain_of(project) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(project=project).order_by("chain_seq"))


def test_sealing_links_each_projects_events_in_order(record):
    # given
    first, second = ProjectFactory(), ProjectFactory()
    written = [
        record(project=first, action="a1"),
        record(project=second, action="b1"),
        record(project=first, action="a2", after={"status": "closed"}),
        record(action="global1"),
    ]

    # when
    sealed = audit_seal()

    # then
    assert sealed == 4
    chain = chain_of(first)
    assert [event.action for event in chain] == ["a1", "a2"]
    assert [event.chain_seq for event in chain] == [1, 2]
    assert chain[0].prev_hash == AUDIT_CHAIN_GENESIS and chain[1].prev_hash == chain[0].hash
    for event in chain:
        assert event.content_digest == audit_content_digest(event.content_nonce, event.before, event.after)
        assert event.hash == audit_event_hash(event.prev_hash, audit_event_canonical(event))
    assert [(e.action, e.chain_seq, e.prev_hash) for e in chain_of(second)] == [("b1", 1, AUDIT_CHAIN_GENESIS)]
    global_event = AuditEvent.objects.get(pk=written[3].pk)
    assert (global_event.chain_seq, global_event.prev_hash) == (1, AUDIT_CHAIN_GENESIS)
    head = AuditChainHead.objects.get(project=first)
    assert (head.sealed_count, head.last_hash, head.last_event_id) == (2, chain[1].hash, chain[1].pk)
    assert AuditChainHead.objects.get(project__isnull=True).sealed_count == 1


def test_sealing_twice_changes_nothing(record, project):
    # given
    for action in ("one", "two", "three"):
        record(project=project, action=action)
    audit_seal()
    before = [(e.pk, e.chain_seq, e.hash, e.content_nonce) for e in chain_of(project)]

    # when
    again = audit_seal()

    # then
    assert again == 0
    assert [(e.pk, e.chain_seq, e.hash, e.content_nonce) for e in chain_of(project)] == before
    assert AuditChainHead.objects.get(project=project).sealed_count == 3


def test_new_events_continue_the_chain(record, project):
    # given
    record(project=project, action="one")
    audit_seal()
    tail = chain_of(project)[-1]

    # when
    record(project=project, action="two")
    audit_seal()

    # then
    added = chain_of(project)[-1]
    assert (added.action, added.chain_seq, added.prev_hash) == ("two", 2, tail.hash)


def test_a_row_committed_late_with_a_smaller_id_is_still_sealed(record, project):
    # given: an id taken before the others (the placeholder frees it) but committed after the seal
    placeholder = record(project=project, action="placeholder")
    late_id = placeholder.pk
    placeholder.delete()
    record(project=project, action="first")
    record(project=project, action="second")
    audit_seal()

    # when
    AuditEvent.objects.create(
        id=late_id, actor_type="system", actor_label="slow request", action="late", project=project
    )
    sealed = audit_seal()

    # then
    assert sealed == 1
    assert [(e.action, e.chain_seq) for e in chain_of(project)] == [("first", 1), ("second", 2), ("late", 3)]
    assert audit_verify(project=project).intact


def test_the_limit_bounds_one_run_and_the_next_continues(record, project):
    # given
    for n in range(5):
        record(project=project, action=f"e{n}")

    # when
    first_run = audit_seal(limit=2)
    second_run = audit_seal(limit=10)

    # then
    assert (first_run, second_run) == (2, 3)
    assert [e.action for e in chain_of(project)] == ["e0", "e1", "e2", "e3", "e4"]
    assert audit_verify(project=project).intact


def test_sealing_in_small_batches_makes_the_same_chain(record, project, monkeypatch):
    # given
    monkeypatch.setattr("audit.services.AUDIT_SEAL_BATCH_SIZE", 3)
    for n in range(10):
        record(project=project, action=f"e{n}")

    # when
    sealed = audit_seal()

    # then
    assert sealed == 10
    assert [e.chain_seq for e in chain_of(project)] == list(range(1, 11))
    assert audit_verify(project=project).intact


def test_the_actor_ids_are_kept_so_deleting_the_user_does_not_break_the_chain(record, project):
    # given
    user = get_user_model().objects.create_user(username="rita", password="a-long-test-password")
    event = record(project=project, actor=Actor.for_user(user))
    audit_seal()
    user_pk = user.pk

    # when
    user.delete()

    # then
    event.refresh_from_db()
    assert (event.actor_user, event.actor_user_ref) == (None, user_pk)
    assert audit_verify(project=project).intact


def test_rows_written_before_sealing_existed_get_their_actor_ids_at_seal_time(project):
    # given: a row as the code before the chain wrote it (no recorded copies)
    user = get_user_model().objects.create_user(username="old", password="a-long-test-password")
    event = AuditEvent.objects.create(
        actor_type="user", actor_user=user, actor_label="old", action="x", project=project
    )

    # when
    audit_seal()

    # then
    event.refresh_from_db()
    assert event.actor_user_ref == user.pk
    assert audit_verify(project=project).intact


def test_a_submissions_events_go_to_its_projects_chain(record):
    # given
    submission = SubmissionFactory()

    # when
    record(submission=submission, action="created")
    audit_seal()

    # then
    assert AuditChainHead.objects.get(project=submission.project).sealed_count == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_event_committed_after_a_seal_that_missed_it_is_sealed_next(system_actor):
    """For real: a request's transaction holds an earlier id open while a seal runs."""
    require_system(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    # given
    project = ProjectFactory()
    inserted, release = threading.Event(), threading.Event()

    def slow_request():
        try:
            with transaction.atomic():
                AuditEvent.objects.create(actor_type="system", actor_label="slow", action="slow", project=project)
                inserted.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_request)
    thread.start()
    assert inserted.wait(30)
    AuditEvent.objects.create(actor_type="system", actor_label="fast", action="fast", project=project)

    # when
    during = audit_seal()
    release.set()
    thread.join(30)
    after = audit_seal()

    # then
    assert (during, after) == (1, 1)
    chain = chain_of(project)
    assert [(e.action, e.chain_seq) for e in chain] == [("fast", 1), ("slow", 2)]
    assert chain[1].pk < chain[0].pk
    assert audit_verify(project=project).intact
