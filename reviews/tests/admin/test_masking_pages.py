"""What an auditor's pages hold (issue 14, item 2): no document number, personal number, MRZ line or
barcode read, at any depth, on any page; a reviewer of the same project still sees them all.

The data are what the checks store for a real TD3 passport MRZ and a real AAMVA barcode.
"""

import html

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import Actor
from reviews.models import ReviewDecision
from reviews.services import review_approve, review_data_edit
from submissions.choices import CheckOutcome, Step, SubmissionStatus
from submissions.models import CheckResult
from submissions.tests.admin.helpers import staff_member
from submissions.tests.factories import ProjectFactory, SubmissionFactory
from verification.aamva import aamva_encode, aamva_parse
from verification.mrz import mrz_parse

pytestmark = pytest.mark.django_db

TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
AAMVA = {"DCA": "C", "DCS": "SAMPLE", "DAC": "JANE", "DBB": "03141988", "DBA": "08152030", "DBC": "2",
         "DAG": "123 MAIN ST", "DAJ": "CA", "DAQ": "D1234567", "DCG": "USA"}
CORRECTED_NUMBER = "K7766554"  # a reviewer's edit of the passport's number
EDITED_NUMBER = "D7654321"  # an edit of the licence's number, audited
SECRETS = ("L898902C3", "ZE184226B", "D1234567", CORRECTED_NUMBER, EDITED_NUMBER, "UTOERIKSSON",
           "7408122F1204159", *TD3, *(html.escape(line) for line in TD3))


@pytest.fixture
def cases():
    project = ProjectFactory(four_eyes_review=True)
    mrz = mrz_parse(TD3)
    passport = SubmissionFactory(project=project, target_status=SubmissionStatus.PENDING, extracted_data={
        "full_name": "ANNA MARIA ERIKSSON", "document_number": mrz.document_number,
        "personal_number": mrz.optional_data, "date_of_birth": mrz.birth_date.isoformat(), "mrz": mrz.as_dict(),
    }, entered_data={"document_number": mrz.document_number})
    CheckResult.objects.create(
        submission=passport, step=Step.STEP1, attempt=0, check_name="mrz", outcome=CheckOutcome.PASSED,
        duration_ms=1.0, evidence={"side": "front", "raw": TD3, "data": mrz.as_dict(),
                                   "lines": [{"text": line, "box": [0, 0, 10, 10], "score": 0.9} for line in TD3]})
    aamva = aamva_parse(aamva_encode(AAMVA))
    licence = SubmissionFactory(project=project, target_status=SubmissionStatus.PENDING, extracted_data={
        "full_name": "JANE SAMPLE", "document_number": aamva.document_number, "aamva": aamva.as_dict(),
    }, entered_data={"document_number": aamva.document_number})
    rita = staff_member("rita", project, "reviewer")
    proposal = review_approve(submission_id=passport.submission_id, actor=Actor.for_user(rita),
                              edits={"document_number": CORRECTED_NUMBER})
    review_data_edit(submission_id=licence.submission_id, actor=Actor.for_user(rita),
                     edits={"document_number": EDITED_NUMBER})
    return project, passport, licence, proposal


def auditor_pages(passport, licence, proposal) -> list[str]:
    pages = [reverse("admin:audit_auditevent_changelist"), reverse("admin:reviews_reviewdecision_changelist"),
             reverse("admin:reviews_reviewdecision_change", args=[proposal.pk])]
    for submission in (passport, licence):
        pages += [reverse("admin:submissions_submission_decide", args=[submission.pk]),
                  reverse("admin:submissions_submission_change", args=[submission.pk])]
    events = AuditEvent.objects.filter(submission__in=[passport, licence]).values_list("pk", flat=True)
    pages += [reverse("admin:audit_auditevent_change", args=[pk]) for pk in events]
    return pages


def test_an_auditor_reads_no_number_mrz_line_or_barcode_read_anywhere(client, cases):
    project, passport, licence, proposal = cases
    assert AuditEvent.objects.filter(action="edited", submission=licence).exists()
    client.force_login(staff_member("audrey", project, "auditor"))
    leaks = []
    for url in auditor_pages(passport, licence, proposal):
        response = client.get(url)
        assert response.status_code == 200, url
        leaks += [(url, secret) for secret in SECRETS if secret.encode() in response.content]
    assert leaks == []
    # masked, not dropped: the auditor still sees that the values are there
    case_page = client.get(reverse("admin:submissions_submission_decide", args=[passport.pk])).content.decode()
    assert "•••••••C3" in case_page and "•••••••6B" in case_page and "withheld" in case_page
    assert "ERIKSSON" in case_page  # names are not masked for auditors


def test_a_reviewer_still_sees_every_value(client, cases):
    project, passport, licence, proposal = cases
    client.force_login(staff_member("sam", project, "reviewer"))
    case_page = client.get(reverse("admin:submissions_submission_decide", args=[passport.pk])).content.decode()
    for secret in ("L898902C3", "ZE184226B", CORRECTED_NUMBER, html.escape(TD3[0], quote=False)):
        assert secret in case_page, secret
    assert "D1234567" in client.get(reverse("admin:submissions_submission_decide", args=[licence.pk])).content.decode()
    edited = AuditEvent.objects.get(action="edited", submission=licence)
    event_page = client.get(reverse("admin:audit_auditevent_change", args=[edited.pk])).content.decode()
    assert "D1234567" in event_page and EDITED_NUMBER in event_page
    decision_page = client.get(reverse("admin:reviews_reviewdecision_change", args=[proposal.pk])).content.decode()
    assert CORRECTED_NUMBER in decision_page
    assert ReviewDecision.objects.get(pk=proposal.pk).edits == {"document_number": CORRECTED_NUMBER}
