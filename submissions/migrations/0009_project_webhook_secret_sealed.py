# The webhook secret signs every event for a project's receiver: sealed at rest like the personal
# fields (see 0005 for the pattern). A project-level value is sealed with the project's own data key
# (`Project.secrets_key`, wrapped by the project key), never with one of its submissions' keys.
# 0010 copies the values, 0011 drops the plaintext column: each its own transaction, as PostgreSQL
# refuses to alter a table (or one its foreign keys point to) that the same transaction updated.

import django.db.models.deletion
from django.db import migrations, models

import vault.fields


class Migration(migrations.Migration):
    dependencies = [
        ("submissions", "0008_client_ip_sealed_cleanup"),
        ("vault", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="project", old_name="webhook_secret", new_name="webhook_secret_plain"),
        # Nullable while both exist, so that 0011 can drop it and still be reversed.
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
    ]
