# The webhook secret signs every event for a project's receiver: sealed at rest like the personal
# fields (see 0005 for the pattern). A project-level value is sealed with the project's own data key
# (`Project.secrets_key`, wrapped by the project key), never with one of its submissions' keys.
# 0010 drops the plaintext column (PostgreSQL refuses to alter a table this transaction updated).

import django.db.models.deletion
from django.db import migrations, models

import vault.fields

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
    dependencies = [
        ("submissions", "0008_client_ip_sealed_cleanup"),
        ("vault", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="project", old_name="webhook_secret", new_name="webhook_secret_plain"),
        # Nullable while both exist, so that 0010 can drop it and still be reversed.
        migrations.AlterField(
            model_name="project", name="webhook_secret_plain",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="project",
            name="secrets_key",
            field=models.OneToOneField(blank=True, editable=False, null=True,
                                       on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                       to="vault.datakey"),
        ),
        migrations.AddField(
            model_name="project",
            name="webhook_secret",
            field=vault.fields.SealedField(
                blank=True, editable=False, key_from="secrets_key_id",
                help_text="Signs every webhook (HMAC-SHA256); shown to the project's operators (sealed).",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
