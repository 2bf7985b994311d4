"""API key authentication: last-used time recorded after the request, not inside it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from submissions.auth import api_key_authenticate
from submissions.exceptions import SubmissionError
from submissions.models import ApiKey


def test_a_request_records_when_the_key_was_last_used(api):
    client = api()
    assert ApiKey.objects.get(project=client.project).last_used_at is None
    assert client.step1().status_code == 200
    assert ApiKey.objects.get(project=client.project).last_used_at is not None


@pytest.mark.django_db
def test_last_used_is_written_on_commit_and_at_most_once_a_minute(make_project, django_capture_on_commit_callbacks):
    project, raw_key = make_project()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        api_key_authenticate(raw_key)
    assert len(callbacks) == 1
    first = ApiKey.objects.get(project=project).last_used_at
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        api_key_authenticate(raw_key)
    assert callbacks == [] and ApiKey.objects.get(project=project).last_used_at == first
    ApiKey.objects.filter(project=project).update(last_used_at=timezone.now() - timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        api_key_authenticate(raw_key)
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_a_revoked_key_is_refused(make_project):
    project, raw_key = make_project()
    ApiKey.objects.filter(project=project).update(revoked_at=timezone.now())
    with pytest.raises(SubmissionError) as refused:
        api_key_authenticate(raw_key)
    assert refused.value.code == "unauthorized"
