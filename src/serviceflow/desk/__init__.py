"""The service desk: the I/O shell that loads, decides, appends in one transaction and
publishes; routing of waiting cases; the shell of the other aggregates' streams (articles,
problems, improvement cycles); the worker loop.
"""

from __future__ import annotations

from serviceflow.desk._aggregate import Kind, Stored, Streams
from serviceflow.desk._desk import RecordedEvent, ServiceDesk, Verification
from serviceflow.desk._dispatch import HELD, ROUTER, SCHEDULED, Dispatching, Write
from serviceflow.desk._worker import Pass, Worker, redacted, stopping_on_signals

__all__ = [
    "HELD",
    "ROUTER",
    "SCHEDULED",
    "Dispatching",
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
