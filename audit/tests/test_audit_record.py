"""audit_record and Actor: who acted, as shown at the time, on which project and submission."""

import pytest
from django.contrib.auth import get_user_model

from audit.models import ActorType, AuditEvent
from audit.services import Actor, audit_record
from submissions.services import api_key_create
from submissions.tests.factories import ProjectFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


def test_a_user_actor_is_labelled_with_the_username():
    # given
    user = get_user_model().objects.create_user(username="rita", password="a-long-test-password")

    # when
    actor = Actor.for_user(user)

    # then
    assert (actor.type, actor.label, actor.user, actor.api_key) == (ActorType.USER, "rita", user, None)


def test_an_api_key_actor_is_labelled_with_the_key_prefix_or_a_given_label():
    # given
    api_key, _ = api_key_create(project=ProjectFactory())

    # when
    default = Actor.for_api_key(api_key)
    named = Actor.for_api_key(api_key, label="shop backend")

    # then
    assert (default.type, default.label, default.api_key) == (ActorType.API_KEY, f"api:{api_key.prefix}", api_key)
    assert named.label == "shop backend"


def test_a_system_actor_is_labelled_with_what_acted():
    # given / when
    actor = Actor.system("validity sweep")

    # then
    assert (actor.type, actor.label, actor.user, actor.api_key) == (ActorType.SYSTEM, "validity sweep", None, None)
    assert Actor.system().label == "system"


def test_audit_record_for_a_submission_takes_its_project():
    # given
    submission = SubmissionFactory()
    user = get_user_model().objects.create_user(username="rita", password="a-long-test-password")

    # when
    event = audit_record(
        actor=Actor.for_user(user),
        action="edited",
        submission=submission,
        before={"name": "Ana"},
        after={"name": "Anna"},
    )

    # then
    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.actor_type, event.actor_user, event.actor_api_key, event.actor_label) == ("user", user, None, "rita")
    assert (event.action, event.submission, event.project) == ("edited", submission, submission.project)
    assert (event.before_plain, event.after_plain) == ({"name": "Ana"}, {"name": "Anna"})
    assert event.after["name"].startswith("sealed:")  # personal values are stored encrypted
    assert event.created_at is not None


def test_audit_record_with_an_api_key_actor_keeps_the_key():
    # given
    submission = SubmissionFactory()
    api_key, _ = api_key_create(project=submission.project)

    # when
    event = audit_record(actor=Actor.for_api_key(api_key), action="created", submission=submission)

    # then
    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.actor_type, event.actor_api_key, event.actor_user) == ("api_key", api_key, None)
    assert (event.before, event.after) == ({}, {})


def test_audit_record_for_a_project_alone():
    # given
    project = ProjectFactory()

    # when
    event = audit_record(
        actor=Actor.system("kyc_project"),
        action="project_closed",
        project=project,
        before={"status": "active"},
        after={"status": "closed"},
    )

    # then
    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.actor_type, event.actor_label) == ("system", "kyc_project")
    assert (event.project, event.submission) == (project, None)


def test_an_explicit_project_wins_over_the_submissions():
    # given
    submission = SubmissionFactory()
    other = ProjectFactory()

    # when
    event = audit_record(actor=Actor.system(), action="moved", submission=submission, project=other)

    # then
    assert AuditEvent.objects.get(pk=event.pk).project == other


def test_a_long_label_is_cut_to_the_column():
    # given
    actor = Actor.system("x" * 400)

    # when
    event = audit_record(actor=actor, action="noted", project=ProjectFactory())

    # then
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "x" * 150


def test_the_actor_label_is_kept_when_the_user_is_deleted():
    # given
    user = get_user_model().objects.create_user(username="rita", password="a-long-test-password")
    event = audit_record(actor=Actor.for_user(user), action="noted", project=ProjectFactory())

    # when
    user.delete()

    # then
    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.actor_user, event.actor_label, event.actor_type) == (None, "rita", "user")


def test_events_list_newest_first():
    # given
    project = ProjectFactory()
    first = audit_record(actor=Actor.system(), action="first", project=project)
    second = audit_record(actor=Actor.system(), action="second", project=project)

    # when
    listed = list(AuditEvent.objects.filter(project=project))

    # then
    assert listed[:2] == [second, first]
    assert str(second).endswith("system second")
