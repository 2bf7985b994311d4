# Encryption at rest (vault/): personal columns become sealed columns, each submission gets its own data
# key, emails get a keyed lookup hash, and stored images are rewritten sealed. 0006 drops the old columns
# (a separate migration: PostgreSQL refuses to alter a table its own transaction has updated rows of).

import django.db.models.deletion
from django.db import migrations, models

import vault.fields
from vault import migration_support

# (model, field, SealedField options, the relation holding the data key)
SEALED = (
    ("submission", "email", {}, None),
    ("submission", "extracted_data", {"codec": "json", "default": dict, "help_text": "Data read from the document."},
     None),
    ("submission", "entered_data", {"codec": "json", "default": dict, "help_text": "Data entered at Step 2."}, None),
    ("checkresult", "message", {"key_from": "submission.data_key_id"}, "submission"),
    ("checkresult", "evidence", {"codec": "json", "default": dict, "key_from": "submission.data_key_id"}, "submission"),
    ("bankverification", "user_name",
     {"key_from": "submission.data_key_id", "help_text": "Account holder name the applicant gave."}, "submission"),
    ("bankverification", "account_holder_name",
     {"key_from": "submission.data_key_id", "help_text": "Holder name reported by the bank."}, "submission"),
    ("facedescriptor", "vector", {"codec": "bytes", "key_from": "submission.data_key_id"}, "submission"),
)
STORED_FILE_CONTEXT = b"submissions.storedfile.file"
# The plaintext columns as they were, made nullable while both exist: 0006 can then drop them and
# still be reversed (a column re-added for the way back needs no value for rows it never had).
PLAIN = {
    ("submission", "email"): models.EmailField(max_length=254, null=True),
    ("submission", "extracted_data"): models.JSONField(blank=True, default=dict, null=True),
    ("submission", "entered_data"): models.JSONField(blank=True, default=dict, null=True),
    ("checkresult", "message"): models.TextField(blank=True, null=True),
    ("checkresult", "evidence"): models.JSONField(blank=True, default=dict, null=True),
    ("bankverification", "user_name"): models.CharField(max_length=100, null=True),
    ("bankverification", "account_holder_name"): models.CharField(max_length=100, null=True),
    ("facedescriptor", "vector"): models.BinaryField(null=True),
}


def email_key(email: str) -> str:
    from submissions.models import submission_email_key

    return submission_email_key(email)


def _models():
    grouped: dict[str, tuple[list[str], str | None]] = {}
    for model, name, _, related in SEALED:
        grouped.setdefault(model, ([], related))[0].append(name)
    return grouped.items()


def forward(apps, schema_editor):
    migration_support.submission_keys_create(apps, email_key)
    for model, (names, related) in _models():
        migration_support.sealed_fields_fill(apps, "submissions", model, names, related=related)
    migration_support.stored_files_seal(apps, STORED_FILE_CONTEXT, forward=True)


def backward(apps, schema_editor):
    migration_support.stored_files_seal(apps, STORED_FILE_CONTEXT, forward=False)
    for model, (names, related) in _models():
        migration_support.sealed_fields_drain(apps, "submissions", model, names, related=related)


class Migration(migrations.Migration):
    dependencies = [
        ("submissions", "0004_notifications_retention"),
        ("vault", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="submission", name="submission_email_status"),
        migrations.AddField(
            model_name="submission",
            name="data_key",
            field=models.OneToOneField(blank=True, editable=False, null=True,
                                       on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                       to="vault.datakey"),
        ),
        migrations.AddField(
            model_name="submission",
            name="email_key",
            field=models.CharField(blank=True, editable=False, help_text="Keyed hash of the email.", max_length=64),
        ),
        *(migrations.RenameField(model_name=model, old_name=name, new_name=f"{name}_plain")
          for model, name, _, _ in SEALED),
        *(migrations.AlterField(model_name=model, name=f"{name}_plain", field=PLAIN[model, name])
          for model, name, _, _ in SEALED),
        *(migrations.AddField(model_name=model, name=name, field=vault.fields.SealedField(blank=True, **options))
          for model, name, options, _ in SEALED),
        migrations.RunPython(forward, backward),
    ]
