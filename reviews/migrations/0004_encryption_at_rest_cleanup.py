from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reviews", "0003_encryption_at_rest")]

    operations = [
        migrations.RemoveField(model_name="reviewdecision", name="internal_note_plain"),
        migrations.RemoveField(model_name="reviewdecision", name="edits_plain"),
    ]
