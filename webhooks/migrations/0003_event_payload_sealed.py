# An event's payload copies the applicant's userid and custom fields and the reviewer's comments:
# sealed at rest like the columns it copies (see submissions 0005 for the pattern), with the
# project's own data key (submissions 0009). 0004 copies the values, 0005 drops the plaintext
# column, each in its own transaction (PostgreSQL refuses to alter a table the same transaction
# updated).

from django.db import migrations, models

import vault.fields


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0002_delivery_excerpt_short"),
        ("submissions", "0011_project_webhook_secret_sealed_cleanup"),
    ]

    operations = [
        migrations.RenameField(model_name="webhookevent", old_name="payload", new_name="payload_plain"),
        # Nullable while both exist, so that 0005 can drop it and still be reversed.
        migrations.AlterField(model_name="webhookevent", name="payload_plain", field=models.JSONField(null=True)),
        migrations.AddField(
            model_name="webhookevent",
            name="payload",
            field=vault.fields.SealedField(blank=True, codec="json", key_from="project.secrets_key_id"),
        ),
    ]
