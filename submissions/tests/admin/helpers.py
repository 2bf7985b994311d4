"""Shared set-up for the admin tests: submissions made by the real Step 1/Step 2 services, staff users."""

import datetime
import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from audit.services import Actor
from conftest import image_bytes
from submissions.images import image_read_bytes
from submissions.inputs import Step1Input, Step2Input
from submissions.models import Project, Submission
from submissions.services import submission_step1, submission_step2

SYSTEM = Actor.system("test")


def submission_through_step1(project: Project, *, email: str = "anna@example.com", country: str = "POL") -> Submission:
    answer = submission_step1(
        project=project,
        actor=SYSTEM,
        data=Step1Input(
            issuing_country=country,
            email=email,
            id_type="passport",
            id_image=image_read_bytes(image_bytes()),
            id_back_image=None,
        ),
    )
    assert not answer.retry
    return answer.submission


def submission_pending(
    project: Project,
    *,
    email: str = "anna@example.com",
    birth: datetime.date = datetime.date(1990, 4, 12),
    fields: dict | None = None,
) -> Submission:
    """A Pending submission with an ID front and a selfie in storage."""
    submission = submission_through_step1(project, email=email)
    answer = submission_step2(
        project=project,
        actor=SYSTEM,
        data=Step2Input(
            submission_id=submission.submission_id,
            face_image=image_read_bytes(image_bytes(size=(480, 640))),
            name="Anna Nowak",
            date_of_birth=birth,
            fields={"document_number": "AB1234567", **(fields or {})},
        ),
    )
    assert not answer.retry
    submission = answer.submission
    submission.refresh_from_db()
    assert submission.status == "pending", submission.status
    return submission


def staff_user(username: str, *perms: str):
    """A staff user holding exactly `perms` ("app_label.codename")."""
    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-only", is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


def staff_member(username: str, project, role: str):
    """A staff user holding `role` ("operator", "reviewer", "auditor") in `project`, and nothing else."""
    from reviews.models import ProjectMembership

    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-only", is_staff=True)
    ProjectMembership.objects.create(user=user, project=project, role=role)
    return user


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


RAW_KEY_PATTERN = re.compile(r"kyc_[0-9a-f]{8}_[A-Za-z0-9_-]+")


def key_shown_in(response) -> str:
    """The one new API key the response itself shows (on a page that no cache may keep)."""
    assert response.status_code == 200, response.status_code
    assert "no-store" in response["Cache-Control"]
    keys = set(RAW_KEY_PATTERN.findall(response.content.decode()))
    assert len(keys) == 1, keys
    return keys.pop()
