# The applicant's IP address is personal data too: sealed like the rest (see 0005 for the pattern).

from django.db import migrations

import vault.fields
from vault import migration_support


def forward(apps, schema_editor):
    migration_support.sealed_fields_fill(apps, "submissions", "submission", ["client_ip"])


def backward(apps, schema_editor):
    migration_support.sealed_fields_drain(apps, "submissions", "submission", ["client_ip"], nullable=["client_ip"])


class Migration(migrations.Migration):
    dependencies = [("submissions", "0006_encryption_at_rest_cleanup")]

    operations = [
        migrations.RenameField(model_name="submission", old_name="client_ip", new_name="client_ip_plain"),
        migrations.AddField(
            model_name="submission",
            name="client_ip",
            field=vault.fields.SealedField(blank=True,
                                           help_text="The applicant's address at Step 1 (personal data: sealed)."),
        ),
        migrations.RunPython(forward, backward),
    ]
