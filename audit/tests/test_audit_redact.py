"""audit_redact: an erasure blanks personal values in the trail, and the chain proves it did only that."""

import logging

import pytest

from audit.chain import AUDIT_REDACTED_ACTION, audit_content_digest
from audit.choices import AuditBreakKind
from audit.models import AuditEvent
from audit.selectors import audit_verify
from audit.services import audit_redact, audit_seal
from audit.tests.conftest import tamper
from submissions.tests.factories import ProjectFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

PERSONAL = frozenset({"name", "email", "date_of_birth"})


@pytest.fixture
def submission():
    return SubmissionFactory()


@pytest.fixture
def trail(record, submission) -> list[AuditEvent]:
    """Four events of one submission: three hold personal values (one nested), one does not."""
    return [
        record(submission=submission, action="created", after={"status": "incomplete", "email": "anna@example.com"}),
        record(submission=submission, action="edited", before={"name": "Ana"}, after={"name": "Anna"}),
        record(
            submission=submission, action="status_changed", before={"status": "incomplete"}, after={"status": "pending"}
        ),
        record(
            submission=submission,
            action="review_decided",
            after={"decision": "approve", "edits": {"date_of_birth": "1990-04-12", "country": "POL"}},
        ),
    ]


def chain_report(submission):
    [report] = audit_verify(project=submission.project).chains
    return report


def test_redaction_blanks_the_keys_at_any_depth_and_names_the_events(trail, submission, system_actor):
    # given
    audit_seal()
    sealed_digests = {e.pk: AuditEvent.objects.get(pk=e.pk).content_digest for e in trail}

    # when
    redacted = audit_redact(submission=submission, keys=PERSONAL, actor=system_actor)

    # then
    assert redacted == [trail[0].pk, trail[1].pk, trail[3].pk]
    rows = {e.pk: AuditEvent.objects.get(pk=e.pk) for e in trail}
    assert rows[trail[0].pk].after == {"status": "incomplete", "email": "[erased]"}
    assert (rows[trail[1].pk].before, rows[trail[1].pk].after) == ({"name": "[erased]"}, {"name": "[erased]"})
    assert rows[trail[3].pk].after["edits"] == {"date_of_birth": "[erased]", "country": "POL"}
    assert rows[trail[2].pk].after == {"status": "pending"}
    # the chain keeps the original digests; the nonce that would let one test guesses is gone
    assert {pk: row.content_digest for pk, row in rows.items()} == sealed_digests
    assert [rows[pk].content_nonce for pk in redacted] == ["", "", ""] and rows[trail[2].pk].content_nonce
    record = AuditEvent.objects.get(action=AUDIT_REDACTED_ACTION)
    assert (record.submission, record.project, record.actor_label) == (submission, submission.project, "test")
    assert record.after["event_ids"] == redacted and record.after["keys"] == sorted(PERSONAL)
    assert record.after["content_digests"] == {
        str(pk): audit_content_digest("", rows[pk].before, rows[pk].after) for pk in redacted
    }


def test_a_sealed_redaction_verifies_as_intact_with_the_events_redacted(trail, submission, system_actor):
    # given
    audit_seal()
    audit_redact(submission=submission, keys=PERSONAL, actor=system_actor)

    # when
    audit_seal()
    report = chain_report(submission)

    # then
    assert report.intact
    assert (report.redacted, report.redaction_pending, report.events_checked) == (3, 0, 5)


def test_before_its_seal_a_redaction_is_pending_not_broken(trail, submission, system_actor):
    # given
    audit_seal()

    # when
    audit_redact(submission=submission, keys=PERSONAL, actor=system_actor)
    report = chain_report(submission)

    # then
    assert report.intact and (report.redacted, report.redaction_pending, report.unsealed) == (0, 3, 1)


def test_events_redacted_before_their_own_seal_need_no_proof(trail, submission, system_actor):
    # given
    audit_redact(submission=submission, keys=PERSONAL, actor=system_actor)

    # when
    audit_seal()
    report = chain_report(submission)

    # then
    assert report.intact and (report.redacted, report.events_checked) == (0, 5)


def test_a_second_erasure_of_more_keys_is_proven_too(trail, submission, system_actor):
    # given
    audit_seal()
    audit_redact(submission=submission, keys=frozenset({"email"}), actor=system_actor)
    audit_seal()

    # when
    audit_redact(submission=submission, keys=PERSONAL, actor=system_actor)
    audit_seal()
    report = chain_report(submission)

    # then
    assert report.intact and report.redacted == 3
    assert AuditEvent.objects.filter(action=AUDIT_REDACTED_ACTION).count() == 2


def test_redacting_what_is_already_blank_records_nothing(trail, submission, system_actor):
    # given
    audit_redact(submission=submission, keys=PERSONAL, actor=system_actor)

    # when
    again = audit_redact(submission=submission, keys=PERSONAL, actor=system_actor)

    # then
    assert again == [] and AuditEvent.objects.filter(action=AUDIT_REDACTED_ACTION).count() == 1


def test_a_forged_redaction_without_a_chained_record_is_content_edited(trail, submission):
    # given: someone blanks a value by hand, as an erasure would
    audit_seal()
    tamper(trail[1], before={"name": "[erased]"}, after={"name": "[erased]"})

    # when
    report = chain_report(submission)

    # then
    assert (report.broken.kind, report.broken.event_id) == (AuditBreakKind.CONTENT_EDITED, trail[1].pk)


def test_editing_a_redacted_event_afterwards_is_content_edited(trail, submission, system_actor):
    # given
    audit_seal()
    audit_redact(submission=submission, keys=PERSONAL, actor=system_actor)
    audit_seal()

    # when
    tamper(trail[0], after={"status": "approved", "email": "[erased]"})
    report = chain_report(submission)

    # then
    assert (report.broken.kind, report.broken.event_id) == (AuditBreakKind.CONTENT_EDITED, trail[0].pk)


def test_a_redaction_does_not_launder_an_earlier_edit(trail, submission, system_actor, caplog):
    # given: an event edited by hand, then a genuine erasure
    audit_seal()
    tamper(trail[1], after={"name": "Mallory"})

    # when
    with caplog.at_level(logging.WARNING, logger="audit.services"):
        redacted = audit_redact(submission=submission, keys=PERSONAL, actor=system_actor)
    audit_seal()
    report = chain_report(submission)

    # then: the values are erased all the same, but the edit stays on record
    assert trail[1].pk in redacted
    assert AuditEvent.objects.get(pk=trail[1].pk).after == {"name": "[erased]"}
    assert str(trail[1].pk) not in AuditEvent.objects.get(action=AUDIT_REDACTED_ACTION).after["content_digests"]
    assert (report.broken.kind, report.broken.event_id) == (AuditBreakKind.CONTENT_EDITED, trail[1].pk)
    assert "edited before its redaction" in caplog.text


def test_a_redaction_past_the_first_broken_link_proves_nothing(trail, submission, system_actor, record):
    # given: the redaction is sealed after an event whose column was edited
    audit_seal()
    audit_redact(submission=submission, keys=PERSONAL, actor=system_actor)
    audit_seal()
    tamper(trail[2], action="approved")

    # when
    report = chain_report(submission)

    # then: the first event it redacted (seq 1) is where the proof stops, not the edit at seq 3
    assert (report.broken.kind, report.broken.event_id, report.broken.chain_seq) == (
        AuditBreakKind.CONTENT_EDITED,
        trail[0].pk,
        1,
    )


def test_a_redaction_naming_an_event_of_another_submission_proves_nothing(trail, submission, system_actor, record):
    # given: a foreign event blanked by hand, and a genuine redaction record that does not name it
    other = SubmissionFactory(project=submission.project)
    foreign = record(submission=other, action="edited", after={"name": "Eve"})
    audit_seal()
    audit_redact(submission=submission, keys=PERSONAL, actor=system_actor)
    audit_seal()
    tamper(foreign, after={"name": "[erased]"})

    # when
    report = chain_report(submission)

    # then
    assert (report.broken.kind, report.broken.event_id) == (AuditBreakKind.CONTENT_EDITED, foreign.pk)


def test_an_event_recorded_for_another_project_is_proven_in_that_chain(trail, submission, system_actor, record):
    # given
    other = ProjectFactory()
    moved = record(submission=submission, project=other, action="moved", after={"name": "Anna"})
    audit_seal()

    # when
    audit_redact(submission=submission, keys=PERSONAL, actor=system_actor)
    audit_seal()
    report = audit_verify()

    # then
    assert report.intact
    assert {c.chain: c.redacted for c in report.chains} == {submission.project.project_id: 3, other.project_id: 1}
    assert AuditEvent.objects.get(action=AUDIT_REDACTED_ACTION, project=other).after["event_ids"] == [moved.pk]
