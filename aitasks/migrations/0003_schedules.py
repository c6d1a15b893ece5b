"""The periodic jobs the worker runs: recovery of stalled tasks, and retention."""

from __future__ import annotations

from django.db import migrations

SCHEDULES = (
    # name, function, schedule type (MINUTES / DAILY), minutes
    ("aitasks: recover stalled tasks", "aitasks.tasks.recover_stalled_tasks", "I", 2),
    ("aitasks: purge expired tasks", "aitasks.tasks.purge_expired", "D", None),
)


def create_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, schedule_type, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": schedule_type, "minutes": minutes, "repeats": -1}
        )


def delete_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=[row[0] for row in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("aitasks", "0002_worker_heartbeat_and_idempotency"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedules, delete_schedules)]
