"""Key rotation re-wraps keys and never re-encrypts data; master keys come and go through settings."""

import base64
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from submissions.models import Project, Submission
from submissions.tests.factories import SubmissionFactory
from vault.crypto import VaultError, master_key_derive, master_key_generate
from vault.models import DataKey, ProjectKey
from vault.services import master_keys_rewrap, project_key_rotate, project_keys_purge

from .test_fields import raw_column

pytestmark = pytest.mark.django_db


def current_master_entry(settings) -> str:
    """The test settings' derived master key, written as a KYC_MASTER_KEYS entry."""
    derived = master_key_derive(settings.SECRET_KEY)
    return f"{derived.key_id}:{base64.urlsafe_b64encode(derived.secret).decode()}"


def test_rotating_a_project_key_re_wraps_data_keys_and_leaves_the_data_as_it_is(cold_keys):
    first = SubmissionFactory(email="one@example.com", entered_data={"name": "Ewa Lis"})
    second = SubmissionFactory(project=first.project, email="two@example.com")
    ciphertext = raw_column("submissions_submission", "entered_data", first.pk)
    old_key = ProjectKey.objects.get(project=first.project)
    wrapped_before = bytes(DataKey.objects.get(pk=first.data_key_id).wrapped)

    secret = first.project.webhook_secret
    report = project_key_rotate(project_id=first.project_id)

    # the two submissions' keys and the project's own (which seals its webhook secret)
    assert report.data_keys == 3
    new_key = ProjectKey.objects.get(project=first.project, retired_at__isnull=True)
    assert new_key.version == old_key.version + 1
    moved = DataKey.objects.get(pk=first.data_key_id)
    assert moved.project_key == new_key and bytes(moved.wrapped) != wrapped_before
    assert raw_column("submissions_submission", "entered_data", first.pk) == ciphertext  # not re-encrypted
    cold_keys()
    assert Submission.objects.get(pk=first.pk).entered_data == {"name": "Ewa Lis"}
    assert Submission.objects.get(pk=second.pk).email == "two@example.com"
    assert Project.objects.get(pk=first.project_id).webhook_secret == secret
    third = SubmissionFactory(project=first.project)
    assert third.data_key.project_key == new_key  # new submissions use the new version


def test_a_retired_project_key_is_cleared_once_its_grace_has_passed(cold_keys):
    submission = SubmissionFactory(email="grace@example.com")
    project_key_rotate(project_id=submission.project_id)
    old = ProjectKey.objects.get(project=submission.project, version=1)
    assert old.retired_at is not None and old.wrapped is not None
    assert project_keys_purge().retired == 0  # within the grace: a request may still be using it
    report = project_keys_purge(now=timezone.now() + timedelta(minutes=11))
    assert report.retired == 1
    old.refresh_from_db()
    assert old.wrapped is None
    cold_keys()
    assert Submission.objects.get(pk=submission.pk).email == "grace@example.com"


def test_a_data_key_made_under_the_old_version_during_a_rotation_is_moved_by_the_purge(cold_keys):
    submission = SubmissionFactory(email="late@example.com")
    project_key_rotate(project_id=submission.project_id)
    old = ProjectKey.objects.get(project=submission.project, version=1)
    # A request that read the current key just before the rotation saves its data key afterwards.
    wrapped_under_old = _wrap_under(old, submission.data_key_id)
    DataKey.objects.filter(pk=submission.data_key_id).update(project_key=old, wrapped=wrapped_under_old)
    report = project_keys_purge(now=timezone.now() + timedelta(minutes=11))
    assert report.data_keys == 1 and report.retired == 1
    cold_keys()
    assert Submission.objects.get(pk=submission.pk).email == "late@example.com"


def _wrap_under(project_key, data_key_id) -> bytes:
    from vault.crypto import key_unwrap, key_wrap
    from vault.selectors import project_key_cipher

    current = DataKey.objects.select_related("project_key").get(pk=data_key_id)
    plain = key_unwrap(project_key_cipher(current.project_key), bytes(current.wrapped), label=current.label)
    return key_wrap(project_key_cipher(project_key), plain, label=current.label)


def test_rotating_the_master_key_re_wraps_project_keys_so_the_old_master_can_go(settings, cold_keys):
    submission = SubmissionFactory(email="master@example.com")
    old_entry, new_entry = current_master_entry(settings), master_key_generate("2027")
    settings.KYC_MASTER_KEYS = f"{new_entry},{old_entry}"
    cold_keys()

    assert master_keys_rewrap().project_keys == 1
    assert master_keys_rewrap().project_keys == 0  # idempotent
    assert ProjectKey.objects.get(project=submission.project).master_key_id == "2027"

    settings.KYC_MASTER_KEYS = new_entry  # the old master key is gone from the environment
    cold_keys()
    assert Submission.objects.get(pk=submission.pk).email == "master@example.com"

    settings.KYC_MASTER_KEYS = old_entry  # and the old one alone opens nothing any more
    cold_keys()
    with pytest.raises(VaultError):
        Submission.objects.get(pk=submission.pk).email  # noqa: B018


def test_without_master_keys_outside_a_demo_the_service_refuses_to_start_encrypting(cold_keys):
    with override_settings(KYC_MASTER_KEYS="", KYC_MASTER_KEY_FROM_SECRET=False):
        cold_keys()
        from django.core.exceptions import ImproperlyConfigured

        with pytest.raises(ImproperlyConfigured):
            SubmissionFactory()


def test_the_command_rotates_and_reports(capsys, cold_keys):
    submission = SubmissionFactory()
    call_command("kyc_keys", "rotate-project", "--project", submission.project.project_id)
    call_command("kyc_keys", "status")
    out = capsys.readouterr().out
    # the submission's key and the project's own
    assert "2 data keys re-wrapped" in out
    assert f"{submission.project.project_id} v2 current master=local data keys live=2" in out
    call_command("kyc_keys", "new-master", "--id", "2027")
    assert capsys.readouterr().out.startswith("2027:")
