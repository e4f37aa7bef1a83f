"""The service desk: the I/O shell that loads, decides, appends in one transaction and
publishes; routing of waiting cases; the shell of the other aggregates' streams (articles,
problems, improvement cycles); the worker loop.
"""

from __future__ import annotations

from serviceflow.desk._aggregate import Kind, Stored, Streams
from serviceflow.desk._desk import ServiceDesk
from serviceflow.desk._dispatch import HELD, ROUTER, SCHEDULED, Dispatcher
from serviceflow.desk._tick import RecordedEvent
from serviceflow.desk._verify import Verification
from serviceflow.desk._worker import Pass, Worker, redacted, stopping_on_signals
from serviceflow.desk._writes import Write

__all__ = [
    "HELD",
    "ROUTER",
    "SCHEDULED",
    "Dispatcher",
    "Kind",
    "Pass",
    "RecordedEvent",
    "ServiceDesk",
    "Stored",
    "Streams",
    "Verification",
    "Worker",
    "Write",
    "redacted",
    "stopping_on_signals",
]
