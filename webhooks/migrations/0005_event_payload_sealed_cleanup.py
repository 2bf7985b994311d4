from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0004_event_payload_seal")]

    operations = [migrations.RemoveField(model_name="webhookevent", name="payload_plain")]
