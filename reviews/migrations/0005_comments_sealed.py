# A decision's client-facing comment and messages, the four-eyes note and the name of the
# integration's user who decided over the API are sealed with the submission's data key, like
# the internal note (0003 for the pattern). The name was part of `reviewer_label`
# ("api:<prefix> (<admin>)"): it moves to the sealed `reviewer_admin`, the key's label stays.

import re

from django.db import migrations, models

import vault.fields
from vault import migration_support

SUBMISSION_KEY = "submission.data_key_id"
SEALED = (
    ("comment", {"key_from": SUBMISSION_KEY, "help_text": "Client-facing message."}),
    ("client_messages", {"codec": "json", "default": dict, "key_from": SUBMISSION_KEY,
                         "help_text": "Reject code -> the client-facing message the reviewer edited."}),
    ("second_note", {"key_from": SUBMISSION_KEY, "help_text": "Four-eyes: why it was returned, or a remark."}),
)
API_LABEL = re.compile(r"^(api:\S+) \((.+)\)$", re.DOTALL)


def forward(apps, schema_editor):
    migration_support.sealed_fields_fill(apps, "reviews", "reviewdecision", [n for n, _ in SEALED],
                                         related="submission")
    model = apps.get_model("reviews", "reviewdecision")
    for row in model.objects.filter(reviewer_label__startswith="api:").select_related("submission").iterator():
        match = API_LABEL.match(row.reviewer_label)
        if match:
            row.reviewer_label, row.reviewer_admin = match.group(1), match.group(2)
            row.save(update_fields=["reviewer_label", "reviewer_admin"])


def backward(apps, schema_editor):
    migration_support.sealed_fields_drain(apps, "reviews", "reviewdecision", [n for n, _ in SEALED],
                                          related="submission")
    model = apps.get_model("reviews", "reviewdecision")
    for row in model.objects.filter(reviewer_admin__isnull=False).select_related("submission").iterator():
        if row.reviewer_admin:
            row.reviewer_label = f"{row.reviewer_label} ({row.reviewer_admin})"[:150]
            row.save(update_fields=["reviewer_label"])


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0004_encryption_at_rest_cleanup"),
        ("submissions", "0013_reject_comments_sealed_cleanup"),
    ]

    operations = [
        *(migrations.RenameField(model_name="reviewdecision", old_name=name, new_name=f"{name}_plain")
          for name, _ in SEALED),
        # Nullable while both exist, so that dropping them (0006) can be reversed.
        migrations.AlterField(model_name="reviewdecision", name="comment_plain",
                              field=models.TextField(blank=True, null=True)),
        migrations.AlterField(model_name="reviewdecision", name="client_messages_plain",
                              field=models.JSONField(blank=True, default=dict, null=True)),
        migrations.AlterField(model_name="reviewdecision", name="second_note_plain",
                              field=models.TextField(blank=True, null=True)),
        *(migrations.AddField(model_name="reviewdecision", name=name,
                              field=vault.fields.SealedField(blank=True, **options)) for name, options in SEALED),
        migrations.AddField(
            model_name="reviewdecision", name="reviewer_admin",
            field=vault.fields.SealedField(
                blank=True, key_from=SUBMISSION_KEY,
                help_text="The integration's own user who decided over the API (`admin`)."),
        ),
        migrations.RunPython(forward, backward),
    ]
