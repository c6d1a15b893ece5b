"""Webhook deliveries are run by entry points of aitasks.worker, like all other work: the
schedule that names its function by dotted path (0007) follows. A delivery queued under the old
path fails to import in a new worker; it stays due in the database and the schedule sends it
again within a minute."""

from __future__ import annotations

from django.db import migrations

RENAMED = {"aitasks.webhooks.deliver_due": "aitasks.worker.deliver_due_webhooks"}


def _rename(apps, mapping):
    Schedule = apps.get_model("django_q", "Schedule")
    for old, new in mapping.items():
        Schedule.objects.filter(func=old).update(func=new)


def forwards(apps, schema_editor):
    _rename(apps, RENAMED)


def backwards(apps, schema_editor):
    _rename(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [("aitasks", "0009_task_chinese_script")]

    operations = [migrations.RunPython(forwards, backwards)]
