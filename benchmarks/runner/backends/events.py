"""What a local worker process tells the runner, one record per kind of news (sent over a queue)."""
from dataclasses import dataclass

from .worker import Outcome


@dataclass(frozen=True)
class JobStarted:
    """Worker ``slot`` took job ``job_id`` (a batching worker holds several at once)."""

    slot: int
    job_id: int


@dataclass(frozen=True)
class FramesTracked:
    """``count`` more frames of job ``job_id`` are done (sent at most every few tenths of a second)."""

    job_id: int
    count: int


@dataclass(frozen=True)
class JobDone:
    """Worker ``slot`` finished a job: its ``Outcome`` holds the boxes or the error."""

    slot: int
    outcome: Outcome


@dataclass(frozen=True)
class WorkerFailed:
    """Worker ``slot`` could not start (model load, device): the whole run stops.

    ``user_error``: the message is one of our errors (a bad file or option), shown as it is.
    """

    slot: int
    message: str
    user_error: bool
    traceback: str
