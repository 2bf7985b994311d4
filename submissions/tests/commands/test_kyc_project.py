"""Operator commands: `manage.py kyc_project ...` and `manage.py kyc_sweep` print JSON."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.models import AuditEvent
from submissions.auth import api_key_authenticate
from submissions.choices import SubmissionStatus
from submissions.exceptions import SubmissionError
from submissions.models import Project, Submission
from submissions.tests.factories import SubmissionFactory

pytestmark = pytest.mark.django_db


def run(*args) -> list[dict]:
    out = StringIO()
    call_command(*args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_create_prints_the_project_id_and_a_working_key():
    [created] = run("kyc_project", "create", "--name", "Shop", "--option", "age_limit=18",
                    "--option", 'blacklist_countries=["PRK", "IRN"]', "--option", "address_collection=both",
                    "--option", "auto_approve_score=null")
    project = Project.objects.get(project_id=created["projectId"])
    assert project.name == "Shop" and project.age_limit == 18
    assert project.blacklist_countries == ["PRK", "IRN"] and project.address_collection == "both"
    assert api_key_authenticate(created["apiKey"]).project == project
    assert AuditEvent.objects.filter(project=project, action="project_created").exists()


@pytest.mark.parametrize("option", ["colour=blue", "age_limit=abc", 'blacklist_countries=["XXX"]',
                                    "address_collection=sometimes", "face_match_threshold=101", "bad"])
def test_create_refuses_a_bad_option_plainly_and_creates_nothing(option):
    with pytest.raises(CommandError) as refused:
        run("kyc_project", "create", "--name", "Shop", "--option", option)
    assert "Traceback" not in str(refused.value)
    assert not Project.objects.exists()


def test_set_option_changes_and_audits_and_prints_the_options():
    [created] = run("kyc_project", "create", "--name", "Shop")
    [options] = run("kyc_project", "set-option", created["projectId"], "retry_limit=5", "id_card_validation=true")
    assert options["retry_limit"] == 5 and options["id_card_validation"] is True
    event = AuditEvent.objects.get(action="project_options_changed")
    assert event.before == {"retry_limit": 3, "id_card_validation": False}
    assert event.after == {"retry_limit": 5, "id_card_validation": True}


def test_rotate_key_revokes_the_old_key():
    [created] = run("kyc_project", "create", "--name", "Shop")
    [rotated] = run("kyc_project", "rotate-key", created["projectId"])
    assert rotated["apiKey"] != created["apiKey"]
    assert api_key_authenticate(rotated["apiKey"]).project.project_id == created["projectId"]
    with pytest.raises(SubmissionError):
        api_key_authenticate(created["apiKey"])


def test_close_and_list():
    [created] = run("kyc_project", "create", "--name", "Shop")
    [closed] = run("kyc_project", "close", created["projectId"])
    assert closed == {"projectId": created["projectId"], "status": "closed"}
    assert run("kyc_project", "list") == [{"projectId": created["projectId"], "name": "Shop", "status": "closed"}]


def test_an_unknown_project_is_a_plain_error():
    with pytest.raises(CommandError, match="no project with id"):
        run("kyc_project", "close", "prj_nope")


def test_kyc_sweep_runs_the_sweep_now(make_project):
    project, _ = make_project(incomplete_timeout_hours=1)
    stale = SubmissionFactory(project=project, retry_count=1)
    Submission.objects.filter(pk=stale.pk).update(last_activity_at=timezone.now() - timedelta(hours=2))
    assert run("kyc_sweep") == [{"timed_out": 1, "expired": 0, "erased": 0}]
    stale.refresh_from_db()
    assert stale.status == SubmissionStatus.REJECTED and stale.reject_codes == ["timeout"]


def test_create_and_grant_give_existing_users_roles_with_an_audit_row():
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("rita", password="a-long-test-password", is_staff=True)
    get_user_model().objects.create_user("audrey", password="a-long-test-password", is_staff=True)
    [created] = run("kyc_project", "create", "--name", "Shop", "--grant", "rita=reviewer")
    project = Project.objects.get(project_id=created["projectId"])
    assert dict(project.memberships.values_list("user__username", "role")) == {"rita": "reviewer"}
    [members] = run("kyc_project", "grant", project.project_id, "audrey=auditor", "rita=operator")
    assert members == {"rita": "operator", "audrey": "auditor"}
    assert AuditEvent.objects.filter(project=project, action="project_members_changed").count() == 3
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        run("kyc_project", "grant", project.project_id, "nobody=reviewer")
    with pytest.raises(CommandError, match="unknown role 'boss'"):
        run("kyc_project", "grant", project.project_id, "rita=boss")
    with pytest.raises(CommandError):
        run("kyc_project", "create", "--name", "Half", "--grant", "nobody=reviewer")
    assert not Project.objects.filter(name="Half").exists()  # nothing half-written
