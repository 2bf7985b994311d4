from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from submissions.choices import SubmissionStatus
from submissions.models import Project, Submission

pytestmark = pytest.mark.django_db


def test_demo_seeds_every_status_through_the_services_and_is_idempotent():
    out = StringIO()
    call_command("kyc_demo", stdout=out)
    project = Project.objects.get(name="Demo project")
    statuses = set(Submission.objects.filter(project=project).values_list("status", flat=True))
    assert statuses == set(SubmissionStatus.values)
    assert get_user_model().objects.filter(username="reviewer", is_staff=True).exists()
    assert "kyc_" in out.getvalue()  # the printed API key
    count = Submission.objects.count()
    call_command("kyc_demo", stdout=StringIO())
    assert Submission.objects.count() == count and Project.objects.filter(name="Demo project").count() == 1
