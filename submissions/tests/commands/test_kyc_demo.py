from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from submissions.choices import SubmissionStatus
from submissions.models import Project, Submission, submission_email_key

pytestmark = pytest.mark.django_db


def test_demo_seeds_every_status_through_the_services_and_is_idempotent():
    out = StringIO()
    call_command("kyc_demo", stdout=out)
    project = Project.objects.get(name="Demo project")
    statuses = set(Submission.objects.filter(project=project).values_list("status", flat=True))
    assert statuses == set(SubmissionStatus.values)
    assert get_user_model().objects.filter(username="reviewer", is_staff=True, is_superuser=False).exists()
    roles = dict(project.memberships.values_list("user__username", "role"))
    assert roles == {"operator": "operator", "reviewer": "reviewer", "reviewer2": "reviewer", "auditor": "auditor"}
    assert "kyc_" in out.getvalue()  # the printed API key
    count = Submission.objects.count()
    call_command("kyc_demo", stdout=StringIO())
    assert Submission.objects.count() == count and Project.objects.filter(name="Demo project").count() == 1


@pytest.mark.image_checks
def test_demo_documents_are_generated_and_judged_by_the_real_step1_checks():
    call_command("kyc_demo", stdout=StringIO())
    project = Project.objects.get(name="Demo project")
    assert project.id_card_validation
    glare = Submission.objects.get(project=project, email_key=submission_email_key("gita.rao@example.com"))
    assert glare.retry_count == 1
    assert glare.check_results.filter(check_name="glare_detected", outcome="retry").exists()
    # every other applicant's generated document passes every Step 1 check
    others = Submission.objects.filter(project=project).exclude(pk=glare.pk)
    step1_retries = [(r.submission.email, r.check_name) for s in others
                     for r in s.check_results.filter(step="step1").exclude(outcome="passed").select_related("submission")]
    assert step1_retries == []
