# Encryption at rest (vault/): a decision's corrected data and internal note are sealed with the
# submission's data key (see submissions 0005 for the pattern).

from django.db import migrations, models

import vault.fields
from vault import migration_support

SEALED = (
    ("internal_note", {"key_from": "submission.data_key_id", "help_text": "Seen by reviewers only."}),
    ("edits", {"codec": "json", "default": dict, "key_from": "submission.data_key_id",
               "help_text": "Data corrected with the decision."}),
)


def forward(apps, schema_editor):
    migration_support.sealed_fields_fill(apps, "reviews", "reviewdecision", [n for n, _ in SEALED],
                                         related="submission")


def backward(apps, schema_editor):
    migration_support.sealed_fields_drain(apps, "reviews", "reviewdecision", [n for n, _ in SEALED],
                                          related="submission")


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0002_workspace"),
        ("submissions", "0005_encryption_at_rest"),
    ]

    operations = [
        *(migrations.RenameField(model_name="reviewdecision", old_name=name, new_name=f"{name}_plain")
          for name, _ in SEALED),
        # Nullable while both exist, so that dropping them (0004) can be reversed.
        migrations.AlterField(model_name="reviewdecision", name="internal_note_plain",
                              field=models.TextField(blank=True, null=True)),
        migrations.AlterField(model_name="reviewdecision", name="edits_plain",
                              field=models.JSONField(blank=True, default=dict, null=True)),
        *(migrations.AddField(model_name="reviewdecision", name=name,
                              field=vault.fields.SealedField(blank=True, **options)) for name, options in SEALED),
        migrations.RunPython(forward, backward),
    ]
