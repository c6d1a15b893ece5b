"""Webhook deliveries run on a pool of their own in each worker process (aitasks.webhook_pool),
which finds what is due by itself: the schedule that ran them on the transcription workers every
minute (0007) goes. A delivery message still in the broker under the old path fails to import
in a new worker; its delivery stays due in the database and the pool sends it."""

from __future__ import annotations

from django.db import migrations

SCHEDULE = "aitasks: deliver webhooks"


def forwards(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE).delete()


def backwards(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=SCHEDULE,
        defaults={"func": "aitasks.webhooks.deliver_due", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


class Migration(migrations.Migration):
    dependencies = [("aitasks", "0009_task_chinese_script")]

    operations = [migrations.RunPython(forwards, backwards)]
