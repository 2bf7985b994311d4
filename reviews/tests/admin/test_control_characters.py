"""Control characters in the workspace's query strings and edits (issue 14 item 12).

`?q=%00`, `?country=%00` or `?finding=%00` on the review queue reached PostgreSQL, which refuses
NUL in text: a 500 with a traceback in the log. Every admin page now answers a 400 page naming
the parameter before any filter or search runs; a reviewer's correction with a control
character is refused by the validator Step 2 uses.
"""

import logging

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import Actor
from submissions.choices import SubmissionStatus

pytestmark = pytest.mark.django_db

QUEUE = "/admin/review/queue/"


@pytest.fixture
def reviewer(reviewer_client):
    return Actor.for_user(reviewer_client.user)


def no_error_logged(caplog) -> None:
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [], [record.getMessage() for record in errors]


def refused_page(response, parameter: str) -> None:
    assert response.status_code == 400
    html = response.content.decode()
    assert f"Invalid input type: {parameter}" in html and 'id="bad-request"' in html


@pytest.mark.parametrize("parameter", ["q", "country", "finding", "id_type", "assignee", "age", "after", "project"])
@pytest.mark.parametrize("control", ["\x00", "\x1b", "\x85"], ids=["NUL", "ESC", "NEL"])
def test_the_review_queue_refuses_a_control_character_in_a_filter(reviewer_client, pending, caplog, parameter,
                                                                  control):
    caplog.set_level(logging.INFO)
    response = reviewer_client.get(QUEUE, {parameter: f"POL{control}"})
    refused_page(response, parameter)
    no_error_logged(caplog)


@pytest.mark.parametrize(("url", "parameter"), [
    ("admin:submissions_submission_changelist", "q"),
    ("admin:submissions_submission_changelist", "status__exact"),
    ("admin:audit_auditevent_changelist", "q"),
    ("admin:audit_auditevent_changelist", "action__exact"),
    ("admin:webhooks_webhookevent_changelist", "q"),
    ("admin:reviews_reviewdecision_changelist", "q"),
    ("admin:submissions_project_changelist", "q"),
    ("admin:submissions_apikey_changelist", "q"),
    ("admin:review_dashboard", "period"),
    ("admin:index", "x"),
])
def test_every_admin_page_refuses_a_nul_in_its_query_string(admin_client, pending, caplog, url, parameter):
    caplog.set_level(logging.INFO)
    response = admin_client.get(reverse(url), {parameter: "a\x00b"})
    refused_page(response, parameter)
    no_error_logged(caplog)


def test_the_case_page_refuses_a_nul_in_its_query_string(reviewer_client, pending, caplog):
    caplog.set_level(logging.INFO)
    response = reviewer_client.get(reverse("admin:submissions_submission_decide", args=[pending.pk]),
                                   {"tab": "\x00"})
    refused_page(response, "tab")
    no_error_logged(caplog)


def test_a_clean_query_string_still_works(reviewer_client, pending):
    response = reviewer_client.get(QUEUE, {"q": "Anna Nowak", "country": "POL"})
    assert response.status_code == 200 and pending.submission_id in response.content.decode()


@pytest.mark.parametrize(("field", "value"), [
    ("name", "Anna\x01Nowak"), ("document_number", "AB\x1b123"), ("date_of_birth", "1990-04-1\x01"),
    ("issuing_country", "PO\x01"), ("comment", "Retake\x07"), ("note", "\x1b[2Jhidden"),
])
def test_a_decision_form_with_a_control_character_is_refused(reviewer_client, pending, field, value):
    from reviews.tests.admin.test_decide_page import decide_url, post_data

    reviewer_client.get(decide_url(pending))  # claims the case
    response = reviewer_client.post(decide_url(pending), post_data(pending, decision="approve", **{field: value}))
    assert response.status_code == 200
    assert f"Invalid input type: {field}" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.PENDING and pending.entered_data["name"] == "Anna Nowak"
    assert not AuditEvent.objects.filter(submission=pending, action__in=["edited", "review_approved"]).exists()


def test_line_breaks_in_a_comment_are_kept(reviewer_client, pending):
    from reviews.tests.admin.test_decide_page import decide_url, post_data

    reviewer_client.get(decide_url(pending))
    response = reviewer_client.post(decide_url(pending), post_data(
        pending, decision="reject", codes=["other"], comment="Too dark.\r\nRetake it\tin daylight."))
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.REJECTED
    assert pending.reject_comments == ["Too dark.\r\nRetake it\tin daylight."]


@pytest.mark.parametrize("field", ["name", "document_number"])
def test_the_service_refuses_a_correction_with_a_control_character(reviewer, pending, field):
    from reviews.services import review_approve
    from submissions.exceptions import SubmissionError

    with pytest.raises(SubmissionError) as error:
        review_approve(submission_id=pending.submission_id, actor=reviewer, edits={field: "A\x01B"})
    assert error.value.message == f"Invalid value for: {field}."
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.PENDING
