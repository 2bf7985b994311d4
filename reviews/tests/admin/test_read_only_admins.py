import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import Actor
from reviews.models import ReviewDecision
from reviews.services import review_reject
from submissions.tests.admin.helpers import submission_pending

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(pending):
    review_reject(submission_id=pending.submission_id, actor=Actor.system("test"), codes=["id_image_error"])
    return pending


@pytest.mark.parametrize("model", ["reviews_reviewdecision", "audit_auditevent"])
def test_changelist_and_detail_render_read_only(admin_client, decided, model):
    listing = admin_client.get(reverse(f"admin:{model}_changelist"))
    assert listing.status_code == 200
    assert decided.submission_id in listing.content.decode()
    obj = (ReviewDecision if model.startswith("reviews") else AuditEvent).objects.first()
    detail = admin_client.get(reverse(f"admin:{model}_change", args=[obj.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert admin_client.get(reverse(f"admin:{model}_add")).status_code == 403
    assert admin_client.get(reverse(f"admin:{model}_delete", args=[obj.pk])).status_code == 403


@pytest.mark.parametrize("model", ["reviews_reviewdecision", "audit_auditevent"])
def test_search_by_submission_id(admin_client, decided, project, model):
    other = submission_pending(project, email="other@example.com")
    review_reject(submission_id=other.submission_id, actor=Actor.system("test"), codes=["id_image_error"])
    html = admin_client.get(reverse(f"admin:{model}_changelist"), {"q": decided.submission_id}).content.decode()
    assert decided.submission_id in html and other.submission_id not in html


def test_filters(admin_client, decided):
    assert (
        admin_client.get(reverse("admin:reviews_reviewdecision_changelist"), {"decision": "reject"}).status_code == 200
    )
    response = admin_client.get(reverse("admin:audit_auditevent_changelist"), {"action": "review_rejected"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == list(AuditEvent.objects.filter(action="review_rejected"))


def test_changelists_do_not_grow_queries_with_rows(admin_client, project, django_assert_max_num_queries):
    for i in range(5):
        submission = submission_pending(project, email=f"a{i}@example.com")
        review_reject(submission_id=submission.submission_id, actor=Actor.system("test"), codes=["id_image_error"])
    for model in ("reviews_reviewdecision", "audit_auditevent"):
        with django_assert_max_num_queries(8):
            assert admin_client.get(reverse(f"admin:{model}_changelist")).status_code == 200
