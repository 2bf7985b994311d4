"""review_related_submissions: the same email, document number or face, within the viewer's projects."""

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from reviews.models import ProjectMembership
from reviews.selectors import review_access_for_user, review_related_submissions
from submissions.choices import SubmissionStatus
from submissions.models import FaceDescriptor
from submissions.selectors import face_indexes_forget
from submissions.services import submission_lookup_keys_refresh
from submissions.tests.factories import ProjectFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_face_indexes():
    face_indexes_forget()
    yield
    face_indexes_forget()


def submission(project, *, status=SubmissionStatus.PENDING, **fields):
    made = SubmissionFactory(project=project, target_status=status, **fields)
    submission_lookup_keys_refresh(made)
    made.save()
    return made


def face(made, vector, *, approved=True):
    FaceDescriptor.objects.create(project=made.project, submission=made, vector=vector.astype("<f4").tobytes(),
                                  approved_at=timezone.now() if approved else None)


def test_email_document_number_and_face_within_the_viewers_projects():
    project, hidden_project = ProjectFactory(), ProjectFactory()
    viewer = get_user_model().objects.create_user("rita", password="a-long-test-password")
    ProjectMembership.objects.create(user=viewer, project=project, role="reviewer")
    rng = np.random.default_rng(3)
    vector = rng.normal(size=128).astype(np.float32)
    vector /= np.linalg.norm(vector) * 1.7
    case = submission(project, email="a@example.com", entered_data={"name": "A", "document_number": "X-77 1"})
    face(case, vector, approved=False)
    same_email = submission(project, email="a@example.com", status=SubmissionStatus.REJECTED)
    same_document = submission(project, status=SubmissionStatus.APPROVED,
                               entered_data={"name": "B", "document_number": "x771"})
    same_face = submission(project, status=SubmissionStatus.APPROVED)
    face(same_face, vector + 0.01)
    stranger = submission(project, status=SubmissionStatus.APPROVED)
    face(stranger, -vector)
    submission(hidden_project, email="a@example.com", status=SubmissionStatus.REJECTED)  # not the viewer's
    related = review_related_submissions(access=review_access_for_user(viewer), submission=case)
    reasons = {item.submission.pk: item.reasons for item in related}
    assert set(reasons) == {same_email.pk, same_document.pk, same_face.pk}
    assert reasons[same_email.pk] == ("email",)
    assert reasons[same_document.pk] == ("document number",)
    assert reasons[same_face.pk][0].startswith("face (distance 0.")
