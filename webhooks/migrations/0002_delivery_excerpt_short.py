# The delivery log kept 500 raw characters of every answer, enough to read internal services the
# URL reached before destinations were checked: existing excerpts are cut and cleaned like new ones
# (webhooks.services.webhook_excerpt_clean, copied here as it is today). Not reversible in content.

import unicodedata

from django.db import migrations, models

EXCERPT_CHARS = 200
BATCH = 500


def excerpt_clean(text: str) -> str:
    text = "".join(" " if unicodedata.category(char)[0] in "CZ" else char for char in text)
    return " ".join(text.split())[:EXCERPT_CHARS]


def forward(apps, schema_editor):
    WebhookDelivery = apps.get_model("webhooks", "WebhookDelivery")
    changed = []
    for row in WebhookDelivery.objects.exclude(response_excerpt="").only("pk", "response_excerpt").iterator(
        chunk_size=BATCH
    ):
        clean = excerpt_clean(row.response_excerpt)
        if clean != row.response_excerpt:
            row.response_excerpt = clean
            changed.append(row)
        if len(changed) >= BATCH:
            WebhookDelivery.objects.bulk_update(changed, ["response_excerpt"])
            changed = []
    WebhookDelivery.objects.bulk_update(changed, ["response_excerpt"])


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0001_initial")]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="response_excerpt",
            field=models.CharField(
                blank=True, help_text="The first 200 characters of the answer, control characters blanked.",
                max_length=200,
            ),
        ),
    ]
