from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class AitasksConfig(AppConfig):
    name = "aitasks"
    verbose_name = "AI tasks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        post_spawn.connect(_recover_when_a_worker_starts, dispatch_uid="aitasks-recover-on-spawn")
        post_spawn.connect(_warm_up_when_a_worker_starts, dispatch_uid="aitasks-warm-up-on-spawn")
        post_spawn.connect(_start_the_webhook_pool, dispatch_uid="aitasks-webhook-pool-on-spawn")
        from . import webhooks
        from .models.tasks import task_ended

        task_ended.connect(webhooks.record_deliveries, dispatch_uid="aitasks-webhook-deliveries")
        from .uploaded_media import delete_when_ended

        task_ended.connect(delete_when_ended, dispatch_uid="aitasks-delete-ended-uploads")
        from .moderation.backends import backends

        backends()  # a malformed AITASKS_MODERATION_BACKENDS fails at start, not on a request


def _recover_when_a_worker_starts(sender: Any, proc_name: str = "", **kwargs: Any) -> None:
    # A worker (re)starting after a crash finds the tasks its predecessor left half done, and
    # the messages lost meanwhile (see aitasks.queue.recovery).
    from .worker import recover_stalled_tasks

    recover_stalled_tasks()


def _start_the_webhook_pool(sender: Any, proc_name: str = "", **kwargs: Any) -> None:
    # Deliveries have threads of their own in each worker process: a receiver that hangs never
    # holds the thread that transcribes (see aitasks.webhook_pool).
    from django.conf import settings

    if settings.AITASKS_WEBHOOK_POOL:
        from .webhook_pool import start

        start()


def _warm_up_when_a_worker_starts(sender: Any, proc_name: str = "", **kwargs: Any) -> None:
    # The model loads before the worker takes its first task, not during it.
    from django.conf import settings

    if settings.AITASKS_WARM_UP:
        from .warmup import warm_up_quietly

        warm_up_quietly()
