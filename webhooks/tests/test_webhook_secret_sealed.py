"""The webhook secret is sealed at rest (issue 14 item 10): not in a database dump, still signing every
delivery, sealed with the project's own key (not a submission's), and sealed/unsealed by its migration."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from audit.services import Actor
from submissions.models import Project
from submissions.services import submission_erase
from submissions.tests.admin.test_project_admin import form_data
from submissions.tests.factories import SubmissionFactory
from vault.crypto import blob_is_sealed
from vault.models import DataKey
from vault.tests.conftest import vault_caches_clear
from vault.tests.test_at_rest import database_dump, forms_of
from webhooks.services import webhook_deliver

from .test_webhook_destinations import pending_event

BEFORE = ("submissions", "0008_client_ip_sealed_cleanup")
AFTER = ("submissions", "0011_project_webhook_secret_sealed_cleanup")


def secret_shown_to_the_operator(client, project: Project) -> str:
    """The secret as the project's admin page shows it to an operator."""
    html = client.get(reverse("admin:submissions_project_change", args=[project.pk])).content.decode()
    start = html.index("whsec_")
    return html[start : start + len("whsec_") + 43]


def raw_secret_column(project_pk: int) -> bytes | str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT webhook_secret FROM submissions_project WHERE id = %s", [project_pk])
        (value,) = cursor.fetchone()
    return bytes(value) if isinstance(value, memoryview | bytes) else value


@pytest.mark.django_db(transaction=True)
def test_a_database_dump_holds_no_webhook_secret(admin_client):
    # given: a project made by an operator, its secret as the admin page shows it
    admin_client.post(reverse("admin:submissions_project_add"), form_data(name="Acme Payments"))
    project = Project.objects.get(name="Acme Payments")
    secret = secret_shown_to_the_operator(admin_client, project)
    assert secret == project.webhook_secret and len(secret) == 49

    # when
    dump = database_dump().lower()

    # then: the secret is nowhere, in any form; the dump is the real one
    assert [form for form in forms_of(secret) if form in dump] == []
    assert project.project_id in dump and "acme payments" in dump


@pytest.mark.django_db
def test_the_secret_is_sealed_with_the_project_s_own_key_which_erasure_leaves_alone():
    submission = SubmissionFactory()
    project = submission.project
    secret = project.webhook_secret
    # sealed under a key of the project's, wrapped by the project key, not a submission's key
    assert blob_is_sealed(raw_secret_column(project.pk))
    assert project.secrets_key.project_key.project_id == project.pk
    assert project.secrets_key_id != submission.data_key_id

    # when: the submission is erased (its data key destroyed)
    submission_erase(project=project, submission_id=submission.submission_id, actor=Actor.system("test"))
    vault_caches_clear()

    # then: the project's secret still opens
    assert DataKey.objects.get(pk=submission.data_key_id).wrapped is None
    assert Project.objects.get(pk=project.pk).webhook_secret == secret


@pytest.mark.django_db
def test_a_delivery_after_a_cold_start_is_signed_with_the_sealed_secret(admin_client, hooked_project, receiver):
    # given: the receiver knows the secret as the operator copied it from the admin page
    receiver.secret = secret_shown_to_the_operator(admin_client, hooked_project)
    event = pending_event(hooked_project)
    vault_caches_clear()  # a worker that has never opened the project's key

    # when
    assert webhook_deliver(event_pk=event.pk) is True

    # then: the receiver of the docs verified the signature
    assert receiver.accepted == [str(event.event_id)] and receiver.refused == []


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_existing_secrets_and_unseals_them_on_the_way_back():
    executor = MigrationExecutor(connection)
    try:
        # given: a project written before the secret was sealed
        executor.migrate([BEFORE])
        old_project = executor.loader.project_state([BEFORE]).apps.get_model("submissions", "Project")
        row = old_project.objects.create(name="Old", webhook_secret="whsec_written-before-sealing-0123456789abcd")
        keys_before = DataKey.objects.count()

        # when: migrated forward
        executor.loader.build_graph()
        executor.migrate([AFTER])

        # then: sealed, and the same secret opens
        vault_caches_clear()
        assert blob_is_sealed(raw_secret_column(row.pk))
        assert b"written-before-sealing" not in raw_secret_column(row.pk)
        assert Project.objects.get(pk=row.pk).webhook_secret == "whsec_written-before-sealing-0123456789abcd"
        assert DataKey.objects.count() == keys_before + 1

        # when: migrated back
        executor.loader.build_graph()
        executor.migrate([BEFORE])

        # then: the plaintext column again, the same value, the key made for it gone
        assert raw_secret_column(row.pk) == "whsec_written-before-sealing-0123456789abcd"
        assert DataKey.objects.count() == keys_before
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_saving_a_project_loaded_without_its_secret_keeps_the_secret(project):
    secret = project.webhook_secret

    partial = Project.objects.only("pk", "name").get(pk=project.pk)
    partial.name = "Renamed"
    partial.save()

    vault_caches_clear()
    assert Project.objects.get(pk=project.pk).webhook_secret == secret
