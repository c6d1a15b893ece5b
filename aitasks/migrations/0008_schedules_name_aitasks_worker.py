"""The worker's entry points moved from aitasks.tasks to aitasks.worker: the schedules that
name them by their dotted path (0003) follow. Messages already in the broker under the old
path fail to import in a new worker; their tasks stay waiting and recovery sends them again
(AITASKS_REQUEUE_AFTER_S)."""

from __future__ import annotations

from django.db import migrations

RENAMED = {
    "aitasks.tasks.recover_stalled_tasks": "aitasks.worker.recover_stalled_tasks",
    "aitasks.tasks.purge_expired": "aitasks.worker.purge_expired",
}


def _rename(apps, mapping):
    Schedule = apps.get_model("django_q", "Schedule")
    for old, new in mapping.items():
        Schedule.objects.filter(func=old).update(func=new)


def forwards(apps, schema_editor):
    _rename(apps, RENAMED)


def backwards(apps, schema_editor):
    _rename(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [("aitasks", "0007_integrations")]

    operations = [migrations.RunPython(forwards, backwards)]
