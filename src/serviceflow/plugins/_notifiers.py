"""Built-in notifiers, registered as plugins exactly like third-party ones.

``LogNotifier`` (built in, so every desk logs its client messages) writes one structured
record per message; ``JsonLinesNotifier`` appends one JSON object per line to a file. Both
are idempotent by the notification's ``key``, as the outbox delivers at least once.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from serviceflow.domain._messages import Notification
from serviceflow.plugins.hookspecs import hookimpl

log = logging.getLogger("serviceflow.notify")

_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def notification_fields(notification: Notification) -> dict[str, Any]:
    """The notification as JSON-ready fields; instants as ISO text with microseconds."""
    fields = attrs.asdict(notification, recurse=False)
    return {
        name: value.isoformat(timespec="microseconds") if isinstance(value, datetime) else value
        for name, value in fields.items()
    }


class LogNotifier:
    """Logs every notification as one INFO record on ``serviceflow.notify``: the fields in
    ``extra["notification"]``, and the same fields as JSON in the message text."""

    def __init__(self, name: str = "serviceflow.notifiers.log") -> None:
        self.__name__ = name

    @hookimpl
    def notify(self, notification: Notification) -> None:
        """Write the log record (a log line cannot be taken back, so repeats are logged); when
        nothing listens at INFO, the record is not even built."""
        if not log.isEnabledFor(logging.INFO):
            return
        fields = notification_fields(notification)
        log.info("notification %s", _dumps(fields), extra={"notification": fields})


class JsonLinesNotifier:
    """Appends one JSON object per notification to a file, synced to disk line by line.

    A key already in the file is skipped, so redelivery adds no line. The keys are read once,
    on the first message; other processes writing the same file are not seen after that.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).absolute()
        self.__name__ = f"serviceflow.notifiers.jsonl:{self.path}"
        self._keys: set[str] | None = None
        self._torn = False
        self._lock = threading.Lock()

    @hookimpl
    def notify(self, notification: Notification) -> None:
        """Append the notification unless its key is already in the file."""
        with self._lock:
            keys = self._written()
            if notification.key in keys:
                return
            line = _dumps(notification_fields(notification)) + "\n"
            try:
                with self.path.open("a", encoding="utf-8") as out:
                    out.write("\n" + line if self._torn else line)
                    out.flush()
                    os.fsync(out.fileno())
            except BaseException:
                self._keys = None  # a part of the line may be written: read the file again
                raise
            self._torn = False
            keys.add(notification.key)

    def _written(self) -> set[str]:
        """The keys already in the file, read once; a torn last line (a crash mid-write) is
        ignored and ended before the next line."""
        if self._keys is not None:
            return self._keys
        keys: set[str] = set()
        last = "\n"
        try:
            with self.path.open(encoding="utf-8", errors="replace") as lines:
                for last in lines:
                    try:
                        data = json.loads(last)
                    except ValueError:
                        continue
                    if isinstance(data, dict) and isinstance(data.get("key"), str):
                        keys.add(data["key"])
        except FileNotFoundError:
            pass
        self._torn = not last.endswith("\n")
        self._keys = keys
        return keys
