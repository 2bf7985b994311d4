# The plaintext columns 0005 copied into sealed ones, and the email index on the lookup hash.

from django.db import migrations, models


SEALED_PLAIN = (
    ("submission", "email_plain"),
    ("submission", "extracted_data_plain"),
    ("submission", "entered_data_plain"),
    ("checkresult", "message_plain"),
    ("checkresult", "evidence_plain"),
    ("bankverification", "user_name_plain"),
    ("bankverification", "account_holder_name_plain"),
    ("facedescriptor", "vector_plain"),
)


class Migration(migrations.Migration):
    dependencies = [("submissions", "0005_encryption_at_rest")]

    operations = [
        *(migrations.RemoveField(model_name=model, name=name) for model, name in SEALED_PLAIN),
        migrations.AddIndex(
            model_name="submission",
            index=models.Index(fields=["project", "email_key", "status"], name="submission_email_status"),
        ),
    ]
