from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("submissions", "0012_reject_comments_sealed")]

    operations = [migrations.RemoveField(model_name="submission", name="reject_comments_plain")]
