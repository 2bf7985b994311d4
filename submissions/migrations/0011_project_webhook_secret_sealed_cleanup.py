# The plaintext webhook secrets 0010 sealed; and webhook URLs are checked against the destination
# policy (webhooks/destinations.py) when saved.

from django.db import migrations, models

import webhooks.destinations


class Migration(migrations.Migration):
    dependencies = [("submissions", "0010_project_webhook_secret_seal")]

    operations = [
        migrations.RemoveField(model_name="project", name="webhook_secret_plain"),
        migrations.AlterField(
            model_name="project",
            name="webhook_url",
            field=models.URLField(
                blank=True, max_length=500, validators=[webhooks.destinations.webhook_url_validate],
                help_text="Where the events (created, retry, submit, approved, rejected, updated, delete) are "
                "POSTed, signed with the webhook secret; https to a public address; empty: no webhooks.",
            ),
        ),
    ]
