from __future__ import annotations


class PipelineError(Exception):
    """A failure the user can act on: the task ends in FAILURE with this message."""

    permanent = True


class TransientError(PipelineError):
    """A failure that may pass (a 503 from the origin, a timeout): the task is retried."""

    permanent = False


class Revoked(Exception):
    """The task was cancelled while it ran: stop at once, keep nothing."""
