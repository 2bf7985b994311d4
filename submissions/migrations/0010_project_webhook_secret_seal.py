# The webhook secrets of 0009, sealed with a key of their project's (forward) or copied back (backward).

from django.db import migrations

BATCH = 500


def forward(apps, schema_editor):
    from vault.services import data_key_create

    Project = apps.get_model("submissions", "Project")
    for row in Project.objects.filter(secrets_key__isnull=True).iterator(chunk_size=BATCH):
        row.secrets_key_id = data_key_create(project_id=row.pk).pk
        row.webhook_secret = row.webhook_secret_plain or ""
        row.save(update_fields=["secrets_key", "webhook_secret"])


def backward(apps, schema_editor):
    from vault.models import DataKey

    Project = apps.get_model("submissions", "Project")
    key_ids = []
    for row in Project.objects.exclude(secrets_key__isnull=True).iterator(chunk_size=BATCH):
        row.webhook_secret_plain = row.webhook_secret
        row.save(update_fields=["webhook_secret_plain"])
        key_ids.append(row.secrets_key_id)
    # The keys made by `forward` go with the column they sealed: nothing else uses them.
    Project.objects.update(secrets_key=None, webhook_secret=None)
    DataKey.objects.filter(pk__in=key_ids).delete()


class Migration(migrations.Migration):
    dependencies = [("submissions", "0009_project_webhook_secret_sealed")]

    operations = [migrations.RunPython(forward, backward)]
