# Encryption at rest: project keys wrapped by a master key, data keys wrapped by project keys.

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('submissions', '0004_notifications_retention'),
    ]

    operations = [
        migrations.CreateModel(
            name='ProjectKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField()),
                ('master_key_id', models.CharField(help_text='Which master key wraps it (KYC_MASTER_KEYS).', max_length=64)),
                ('wrapped', models.BinaryField(null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('retired_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='submissions.project')),
            ],
        ),
        migrations.CreateModel(
            name='DataKey',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('wrapped', models.BinaryField(null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('destroyed_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('project_key', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='data_keys', to='vault.projectkey')),
            ],
        ),
        migrations.AddConstraint(
            model_name='projectkey',
            constraint=models.UniqueConstraint(fields=('project', 'version'), name='project_key_version_unique'),
        ),
    ]
