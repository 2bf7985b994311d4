"""Tenancy over HTTP (issue 14, items 1 and 3): every id a request carries is resolved inside the
case and the projects the user holds a role in, and no list, filter or choice names another tenant.

Each test is a user of project A handing the workspace an id of project B: the answer is a 404
(or the id is simply not among the rows acted on), and nothing of B changes.
"""

from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import Actor, audit_record
from documents.models import InvalidatedDocument
from documents.services import invalidated_document_add
from reviews.choices import DecisionState
from reviews.models import ProjectMembership, ReviewClaim, ReviewDecision
from reviews.services import review_approve, review_claim
from submissions.choices import ProjectStatus, SubmissionStatus
from submissions.file_urls import stored_file_admin_url
from submissions.models import ApiKey, Project, Submission
from submissions.services import api_key_create
from submissions.tests.admin.helpers import staff_member, submission_pending
from submissions.tests.admin.test_project_admin import form_data
from submissions.tests.factories import ProjectFactory, SubmissionFactory
from webhooks.choices import WebhookEventState, WebhookTrigger
from webhooks.models import WebhookEvent
from webhooks.services import webhook_event_record
from webhooks.tasks import webhook_deliver_task

pytestmark = pytest.mark.django_db


def case_url(submission) -> str:
    return reverse("admin:submissions_submission_decide", args=[submission.pk])


def status(submission) -> str:
    return Submission.objects.get(pk=submission.pk).status


@pytest.fixture
def alpha():
    return ProjectFactory(name="Alpha Lending", four_eyes_review=True)


@pytest.fixture
def beta():
    return ProjectFactory(name="Beta Exchange", four_eyes_review=True)


@pytest.fixture
def beta_proposal(beta):
    """A Pending case of B with a four-eyes proposal of B's own reviewer."""
    submission = SubmissionFactory(project=beta, target_status=SubmissionStatus.PENDING)
    bob = staff_member("bob", beta, "reviewer")
    return review_approve(submission_id=submission.submission_id, actor=Actor.for_user(bob))


@pytest.mark.parametrize("action, note", [("confirm", ""), ("return", "Send it back.")])
def test_a_proposal_of_another_project_cannot_be_settled_from_ones_own_case(client, alpha, beta_proposal, action,
                                                                             note):
    # given: a reviewer of A, on her own A case, who gets a 404 for B's case
    own_case = SubmissionFactory(project=alpha, target_status=SubmissionStatus.PENDING)
    client.force_login(staff_member("rita", alpha, "reviewer"))
    assert client.get(case_url(beta_proposal.submission)).status_code == 404
    assert client.get(case_url(own_case)).status_code == 200
    # when she posts B's proposal id to her own case URL
    response = client.post(case_url(own_case), {"action": action, "review_id": beta_proposal.pk,
                                                "second_note": note})
    # then: not found, and neither case moved
    assert response.status_code == 404
    assert status(beta_proposal.submission) == SubmissionStatus.PENDING
    assert status(own_case) == SubmissionStatus.PENDING
    proposal = ReviewDecision.objects.get(pk=beta_proposal.pk)
    assert proposal.state == DecisionState.PROPOSED and proposal.second_reviewer is None
    assert not AuditEvent.objects.filter(action__in=("review_confirmed", "review_returned")).exists()


def test_a_proposal_of_another_case_of_the_same_project_is_not_found_either(client, beta, beta_proposal):
    other_case = SubmissionFactory(project=beta, target_status=SubmissionStatus.PENDING)
    client.force_login(staff_member("sam", beta, "reviewer"))
    client.get(case_url(other_case))
    response = client.post(case_url(other_case), {"action": "confirm", "review_id": beta_proposal.pk})
    assert response.status_code == 404
    assert ReviewDecision.objects.get(pk=beta_proposal.pk).state == DecisionState.PROPOSED
    assert status(beta_proposal.submission) == SubmissionStatus.PENDING


def test_another_projects_claim_is_neither_released_nor_kept_alive(client, alpha, beta):
    theirs = SubmissionFactory(project=beta, target_status=SubmissionStatus.PENDING)
    bob = staff_member("bob", beta, "reviewer")
    claim = review_claim(submission_id=theirs.submission_id, actor=Actor.for_user(bob))
    client.force_login(staff_member("rita", alpha, "reviewer"))
    for action in ("release", "heartbeat", "decide"):
        assert client.post(case_url(theirs), {"action": action, "decision": "approve"}).status_code == 404
    kept = ReviewClaim.objects.get(submission=theirs)
    assert kept.reviewer == bob and kept.last_seen_at == claim.last_seen_at
    assert status(theirs) == SubmissionStatus.PENDING


@pytest.mark.parametrize("review_id", ["99999999999999999999999", "-1", "0"])
def test_a_proposal_id_out_of_any_range_is_not_found_either(client, beta, beta_proposal, review_id):
    client.force_login(staff_member("sam", beta, "reviewer"))
    response = client.post(case_url(beta_proposal.submission), {"action": "confirm", "review_id": review_id})
    assert response.status_code == 404
    assert ReviewDecision.objects.get(pk=beta_proposal.pk).state == DecisionState.PROPOSED


def test_another_projects_image_is_not_served_through_ones_own_case(client, alpha, beta):
    own, theirs = submission_pending(alpha), submission_pending(beta, email="bea@example.com")
    client.force_login(staff_member("rita", alpha, "reviewer"))
    stored = theirs.files.first()
    signature = stored_file_admin_url(stored).split("?", 1)[1]  # a URL the workspace signed for B's page
    own_path = reverse("admin:submissions_submission_file", args=[own.pk, stored.pk])
    assert client.get(f"{own_path}?{signature}").status_code == 404
    assert client.get(stored_file_admin_url(stored)).status_code == 404


def test_bulk_decisions_ignore_selected_rows_of_another_project(client, alpha, beta):
    alpha.four_eyes_review = beta.four_eyes_review = False
    alpha.save(), beta.save()
    theirs = SubmissionFactory(project=beta, target_status=SubmissionStatus.PENDING)
    client.force_login(staff_member("rita", alpha, "reviewer"))
    changelist = reverse("admin:submissions_submission_changelist")
    client.post(changelist, {"action": "approve_selected", "_selected_action": [theirs.pk]})
    client.post(changelist, {"action": "reject_selected", "_selected_action": [theirs.pk], "apply": "1",
                             "codes": ["id_image_badImage"]})
    assert status(theirs) == SubmissionStatus.PENDING
    assert not ReviewDecision.objects.filter(submission=theirs).exists()


def event_of(project) -> WebhookEvent:
    Project.objects.filter(pk=project.pk).update(webhook_url="https://hooks.example.com/kyc")
    project.refresh_from_db()
    submission = SubmissionFactory(project=project)
    with mock.patch.object(webhook_deliver_task, "delay"):
        event = webhook_event_record(submission=submission, trigger=WebhookTrigger.CREATED)
    WebhookEvent.objects.filter(pk=event.pk).update(state=WebhookEventState.FAILED)
    return event


def test_another_projects_webhook_event_is_neither_shown_nor_resent(client, alpha, beta):
    theirs = event_of(beta)
    client.force_login(staff_member("olga", alpha, "operator"))
    assert client.get(reverse("admin:webhooks_webhookevent_change", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("admin:webhooks_webhookevent_resend", args=[theirs.pk])).status_code == 404
    client.post(reverse("admin:webhooks_webhookevent_changelist"),
                {"action": "resend_selected", "_selected_action": [theirs.pk]})
    assert WebhookEvent.objects.get(pk=theirs.pk).state == WebhookEventState.FAILED
    assert not AuditEvent.objects.filter(action="webhook_resent").exists()


def test_another_projects_api_key_is_not_revoked_and_its_key_not_rotated(client, alpha, beta):
    api_key, _ = api_key_create(project=beta)
    client.force_login(staff_member("olga", alpha, "operator"))
    client.post(reverse("admin:submissions_apikey_changelist"),
                {"action": "revoke_keys", "_selected_action": [api_key.pk]})
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is None
    assert client.post(reverse("admin:submissions_project_rotate_key", args=[beta.pk])).status_code == 404
    assert ApiKey.objects.filter(project=beta, revoked_at__isnull=True).count() == beta.api_keys.count()


def test_closing_projects_needs_the_operator_role_in_each(client, alpha, beta):
    # given: an operator of A who only reviews B (so B is on her project list)
    olga = staff_member("olga", alpha, "operator")
    ProjectMembership.objects.create(user=olga, project=beta, role="reviewer")
    client.force_login(olga)
    # when she selects both and closes them
    client.post(reverse("admin:submissions_project_changelist"),
                {"action": "close_projects", "_selected_action": [alpha.pk, beta.pk]})
    # then: only the project she configures is closed
    assert Project.objects.get(pk=alpha.pk).status == ProjectStatus.CLOSED
    assert Project.objects.get(pk=beta.pk).status == ProjectStatus.ACTIVE
    assert not AuditEvent.objects.filter(project=beta, action="project_closed").exists()


def test_a_membership_of_another_project_cannot_be_edited_from_ones_own(client, alpha, beta):
    olga = staff_member("olga", alpha, "operator")
    bob = staff_member("bob", beta, "reviewer")
    theirs = ProjectMembership.objects.get(user=bob, project=beta)
    client.force_login(olga)
    data = form_data(alpha)
    data.update({"memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "1",
                 "memberships-0-id": theirs.pk, "memberships-0-project": alpha.pk,
                 "memberships-0-user": bob.pk, "memberships-0-role": "operator"})
    client.post(reverse("admin:submissions_project_change", args=[alpha.pk]), data)
    data.update({"memberships-0-user": olga.pk, "memberships-0-DELETE": "on"})  # nor deleted
    client.post(reverse("admin:submissions_project_change", args=[alpha.pk]), data)
    assert ProjectMembership.objects.get(pk=theirs.pk).project == beta
    assert ProjectMembership.objects.get(pk=theirs.pk).role == "reviewer"
    assert not ProjectMembership.objects.filter(user=bob, project=alpha).exists()


def test_another_projects_decisions_and_audit_rows_are_not_found(client, alpha, beta, beta_proposal):
    event = audit_record(actor=Actor.system("test"), action="edited", submission=beta_proposal.submission,
                         before={"document_number": "X1"}, after={"document_number": "X2"})
    client.force_login(staff_member("audrey", alpha, "auditor"))
    for url in (reverse("admin:reviews_reviewdecision_change", args=[beta_proposal.pk]),
                reverse("admin:audit_auditevent_change", args=[event.pk]),
                reverse("admin:audit_auditevent_history", args=[event.pk]),
                reverse("admin:submissions_submission_change", args=[beta_proposal.submission.pk]),
                reverse("admin:submissions_submission_history", args=[beta_proposal.submission.pk])):
        assert client.get(url).status_code == 404, url
    listed = client.get(reverse("admin:audit_auditevent_changelist")).content.decode()
    assert beta_proposal.submission.submission_id not in listed


def test_registry_entries_are_not_a_project_roles_business(client, alpha):
    # The registries are shared by every project: project roles give no right to them.
    entry = invalidated_document_add(country="FRA", number_or_prefix="15AB00001", reason="stolen", id_type="",
                                     source="test", actor=Actor.system("test"))
    client.force_login(staff_member("olga", alpha, "operator"))
    assert client.get(reverse("admin:documents_invalidateddocument_change", args=[entry.pk])).status_code == 403
    client.post(reverse("admin:documents_invalidateddocument_delete", args=[entry.pk]), {"post": "yes"})
    client.post(reverse("admin:documents_invalidateddocument_changelist"),
                {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert InvalidatedDocument.objects.filter(pk=entry.pk).exists()


# -- item 3: what lists, filters and choices name ---------------------------------------------------


def test_the_submission_list_filter_names_only_the_users_projects(client, alpha, beta):
    SubmissionFactory(project=alpha), SubmissionFactory(project=beta)
    client.force_login(staff_member("rita", alpha, "reviewer"))
    response = client.get(reverse("admin:submissions_submission_changelist"))
    html = response.content.decode()
    assert response.status_code == 200 and alpha.name in html and alpha.project_id in html
    assert beta.name not in html and beta.project_id not in html
    # asking for B's rows by its filter gives none of them
    filtered = client.get(reverse("admin:submissions_submission_changelist") + f"?project__id__exact={beta.pk}")
    assert beta.name not in filtered.content.decode()


def test_the_project_autocomplete_names_only_the_users_projects(client, alpha, beta):
    client.force_login(staff_member("rita", alpha, "reviewer"))
    response = client.get(reverse("admin:autocomplete"), {"app_label": "submissions", "model_name": "submission",
                                                          "field_name": "project", "term": ""})
    names = [row["text"] for row in response.json()["results"]]
    assert names == [str(alpha)]


def test_the_queue_and_dashboard_name_only_the_users_projects(client, alpha, beta):
    SubmissionFactory(project=beta, target_status=SubmissionStatus.PENDING)
    client.force_login(staff_member("rita", alpha, "reviewer"))
    for url in (reverse("admin:review_queue"), reverse("admin:review_queue") + f"?project={beta.pk}",
                reverse("admin:review_dashboard")):
        html = client.get(url).content.decode()
        assert alpha.name in html and beta.name not in html, url
    assert client.get(reverse("admin:review_dashboard") + f"?project={beta.pk}").status_code == 404


def test_the_member_choices_name_no_staff_of_other_projects(client, alpha, beta):
    staff_member("bob-of-beta", beta, "reviewer")
    newcomer = staff_member("newcomer", alpha, "reviewer")
    ProjectMembership.objects.filter(user=newcomer).delete()  # an account nobody has given a role yet
    colleague = staff_member("colleague-of-alpha", alpha, "reviewer")
    get_user_model().objects.create_superuser("platform-root", password="pw-for-tests-only")
    client.force_login(staff_member("olga", alpha, "operator"))
    html = client.get(reverse("admin:submissions_project_change", args=[alpha.pk])).content.decode()
    assert "memberships-TOTAL_FORMS" in html
    assert colleague.username in html and newcomer.username in html
    assert "bob-of-beta" not in html and "platform-root" not in html
    # and a grant to B's reviewer is refused by the form
    data = form_data(alpha)
    data.update({"memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0",
                 "memberships-0-project": alpha.pk, "memberships-0-role": "reviewer",
                 "memberships-0-user": ProjectMembership.objects.get(project=beta).user_id})
    client.post(reverse("admin:submissions_project_change", args=[alpha.pk]), data)
    assert not ProjectMembership.objects.filter(project=alpha, user__username="bob-of-beta").exists()
    # while a grant to the account without a role goes through
    data["memberships-0-user"] = newcomer.pk
    response = client.post(reverse("admin:submissions_project_change", args=[alpha.pk]), data)
    assert response.status_code == 302
    assert ProjectMembership.objects.get(project=alpha, user=newcomer).role == "reviewer"
