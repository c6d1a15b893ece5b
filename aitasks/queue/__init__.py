"""The work queue, in one package: how work is created, sent to the workers, claimed and taken
back when a worker dies.

- `submit`: the one way in (the account's limit, creation, queueing after commit);
- `broker`: putting work on django-q2's queue, in an order that never loses a task;
- `workers`: who a worker process is, and whether it is still alive;
- `recovery`: work whose worker died, or whose message was lost, queued again.

The django-q2 entry points that run the work are in aitasks.worker.
"""

from __future__ import annotations

from .broker import attempts_left, enqueue, enqueue_copy, requeue, retry_or_fail, send, send_copy
from .recovery import recover
from .submit import QueueFull, Submitted, lock_account, submit, unfinished_work
from .workers import HOST, this_worker

__all__ = [
    "HOST",
    "QueueFull",
    "Submitted",
    "attempts_left",
    "enqueue",
    "enqueue_copy",
    "lock_account",
    "recover",
    "requeue",
    "retry_or_fail",
    "send",
    "send_copy",
    "submit",
    "this_worker",
    "unfinished_work",
]
