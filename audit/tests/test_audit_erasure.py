"""An erasure through the submissions service keeps the chain verifiable (issue 7)."""

import pytest

from audit.chain import AUDIT_REDACTED_ACTION
from audit.models import AuditEvent
from audit.selectors import audit_verify
from audit.services import audit_seal
from submissions.choices import SubmissionStatus
from submissions.services import submission_erase
from submissions.tests.factories import SubmissionFactory

pytestmark = pytest.mark.django_db


def test_erasing_a_submission_redacts_its_trail_and_the_chain_stays_intact(record, system_actor):
    # given
    submission = SubmissionFactory(target_status=SubmissionStatus.PENDING)
    edited = record(submission=submission, action="edited", before={"name": "Ana"}, after={"name": "Anna Nowak"})
    audit_seal()

    # when
    submission_erase(project=submission.project, submission_id=submission.submission_id, actor=system_actor)
    audit_seal()

    # then
    assert AuditEvent.objects.get(pk=edited.pk).after == {"name": "[erased]"}
    assert AuditEvent.objects.filter(action=AUDIT_REDACTED_ACTION, submission=submission).exists()
    [report] = audit_verify(project=submission.project).chains
    assert report.intact and report.redacted == 1
