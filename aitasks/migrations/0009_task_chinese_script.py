"""A task may ask for the script of its Chinese text (issue 10): "" keeps the installation's
AITASKS_CHINESE_SCRIPT, which is what every task made before this migration gets."""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("aitasks", "0008_schedules_name_aitasks_worker")]

    operations = [
        migrations.AddField(
            model_name="task",
            name="chinese_script",
            field=models.CharField(
                blank=True,
                choices=[
                    ("simplified", "Simplified"),
                    ("traditional", "Traditional"),
                    ("taiwan", "Traditional (Taiwan)"),
                    ("hongkong", "Traditional (Hong Kong)"),
                ],
                max_length=16,
            ),
        ),
    ]
