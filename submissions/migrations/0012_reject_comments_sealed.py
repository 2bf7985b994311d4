# The client-facing reject messages a reviewer may have written are sealed like the rest of the
# submission's personal data (see 0005 for the pattern).

from django.db import migrations, models

import vault.fields
from vault import migration_support


def forward(apps, schema_editor):
    migration_support.sealed_fields_fill(apps, "submissions", "submission", ["reject_comments"])


def backward(apps, schema_editor):
    migration_support.sealed_fields_drain(apps, "submissions", "submission", ["reject_comments"])


class Migration(migrations.Migration):
    dependencies = [("submissions", "0011_project_webhook_secret_sealed_cleanup")]

    operations = [
        migrations.RenameField(model_name="submission", old_name="reject_comments", new_name="reject_comments_plain"),
        # Nullable while both exist, so that dropping it (0013) can be reversed.
        migrations.AlterField(model_name="submission", name="reject_comments_plain",
                              field=models.JSONField(blank=True, default=list, null=True)),
        migrations.AddField(
            model_name="submission",
            name="reject_comments",
            field=vault.fields.SealedField(blank=True, codec="json", default=list,
                                           help_text="Client-facing reject messages (sealed)."),
        ),
        migrations.RunPython(forward, backward),
    ]
