from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reviews", "0005_comments_sealed")]

    operations = [
        migrations.RemoveField(model_name="reviewdecision", name="comment_plain"),
        migrations.RemoveField(model_name="reviewdecision", name="client_messages_plain"),
        migrations.RemoveField(model_name="reviewdecision", name="second_note_plain"),
    ]
