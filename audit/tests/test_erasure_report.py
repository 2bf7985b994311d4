"""The erasure report in the admin: per day and the latest, scoped to the viewer's projects."""

import pytest
from django.urls import reverse

from audit.services import Actor
from submissions.choices import SubmissionStatus
from submissions.services import submission_erase
from submissions.tests.admin.helpers import staff_member
from submissions.tests.factories import ProjectFactory, SubmissionFactory

pytestmark = pytest.mark.django_db
REPORT = "admin:audit_erasure_report"


def test_the_report_lists_erasures_of_the_viewers_projects_only(client):
    mine, theirs = ProjectFactory(name="Mine"), ProjectFactory(name="Theirs")
    erased = SubmissionFactory(project=mine, target_status=SubmissionStatus.APPROVED)
    partly = SubmissionFactory(project=mine, target_status=SubmissionStatus.REJECTED)
    hidden = SubmissionFactory(project=theirs, target_status=SubmissionStatus.APPROVED)
    submission_erase(project=mine, submission_id=erased.submission_id, actor=Actor.system("retention"))
    submission_erase(project=mine, submission_id=partly.submission_id, actor=Actor.system("api:abc (dpo)"),
                     parts=("selfie_image",))
    submission_erase(project=theirs, submission_id=hidden.submission_id, actor=Actor.system("retention"))
    client.force_login(staff_member("audrey", mine, "auditor"))
    html = client.get(reverse(REPORT)).content.decode()
    assert erased.submission_id in html and partly.submission_id in html and hidden.submission_id not in html
    assert "retention" in html and "partially_erased" in html and "selfie_image" in html
    assert reverse(REPORT) in client.get(reverse("admin:audit_auditevent_changelist")).content.decode()


def test_a_user_without_a_project_is_refused(client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_user("idle", password="a-long-test-password", is_staff=True))
    assert client.get(reverse(REPORT)).status_code == 403
