# The payloads of 0003, sealed with their project's own key (forward) or copied back (backward).

from django.db import migrations

from vault.migration_support import sealed_fields_drain, sealed_fields_fill


def forward(apps, schema_editor):
    sealed_fields_fill(apps, "webhooks", "WebhookEvent", ["payload"], related="project")


def backward(apps, schema_editor):
    sealed_fields_drain(apps, "webhooks", "WebhookEvent", ["payload"], related="project")


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0003_event_payload_sealed")]

    operations = [migrations.RunPython(forward, backward)]
