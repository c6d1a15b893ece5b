"""Slots of the requests that wait for their task (the OpenAI- and ASR-compatible APIs).

One row per request that holds one, numbered 0 … AITASKS_SYNC_WAITS_PER_ACCOUNT - 1 per holder:
the unique constraint makes taking a slot atomic on any database and across every web process
and host, where a counter in memory would count one process only. A slot names the web process
that holds it: gunicorn's worker frees its own when it stops (aitasks.web_worker), and a row
left by a process that was killed expires on its own.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from django.db import IntegrityError, models, transaction
from django.utils import timezone


class WaitSlot(models.Model):
    holder = models.CharField(max_length=80)  # "account:<pk>", or "address:<ip>" keyless on /asr
    number = models.PositiveSmallIntegerField()
    expires_at = models.DateTimeField()
    process = models.CharField(max_length=160)  # host:pid

    class Meta:
        constraints = [models.UniqueConstraint(fields=["holder", "number"], name="one_request_per_wait_slot")]

    @classmethod
    def take(cls, holder: str, slots: int, hold_s: float) -> WaitSlot | None:
        """A free slot of `holder`, held for at most `hold_s`; None when all are taken."""
        now = timezone.now()
        cls.objects.filter(holder=holder, expires_at__lte=now).delete()
        for number in range(slots):
            try:
                with transaction.atomic():
                    return cls.objects.create(
                        holder=holder,
                        number=number,
                        expires_at=now + timedelta(seconds=hold_s),
                        process=this_process(),
                    )
            except IntegrityError:
                continue
        return None

    def renew(self, hold_s: float) -> None:
        WaitSlot.objects.filter(pk=self.pk).update(expires_at=timezone.now() + timedelta(seconds=hold_s))

    def release(self) -> None:
        WaitSlot.objects.filter(pk=self.pk).delete()


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:160]
