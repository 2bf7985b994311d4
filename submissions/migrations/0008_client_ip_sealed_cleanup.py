from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("submissions", "0007_client_ip_sealed")]

    operations = [migrations.RemoveField(model_name="submission", name="client_ip_plain")]
