"""The built-in notifiers: a structured log record per message, and an idempotent JSON-lines
file that survives redelivery and restarts."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from serviceflow import Notification
from serviceflow.domain.policy._delivery import DeliveryPolicy
from serviceflow.eventlog._outbox import DeliveryReport, Outbox
from serviceflow.eventlog._store import Store
from serviceflow.plugins._manager import plugin_manager
from serviceflow.plugins._notifiers import JsonLinesNotifier, LogNotifier, notification_fields

from ..conftest import START
from ..eventlog.test_outbox import Flaky, _notice, _queue


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A fresh memory or SQLite store."""
    opened = plugin_manager(entry_points=False).hook.open_store(url=store_url)
    yield opened
    opened.close()


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_fields_are_json_ready_with_instants_as_iso_text() -> None:
    fields = notification_fields(_notice("A/1", to_name="Jeanne Dupré"))
    assert fields["at"] == "2026-03-02T09:00:00.000000+00:00"
    assert fields["to_name"] == "Jeanne Dupré"
    assert set(fields) == {a.name for a in attrs.fields(Notification)}


def test_the_log_notifier_writes_one_structured_record(caplog: pytest.LogCaptureFixture) -> None:
    notice = _notice("A/1")
    with caplog.at_level(logging.INFO, logger="serviceflow.notify"):
        LogNotifier().notify(notification=notice)
    (record,) = caplog.records
    assert (record.name, record.levelname) == ("serviceflow.notify", "INFO")
    assert record.notification == notification_fields(notice)  # type: ignore[attr-defined]
    head, _, text = record.getMessage().partition(" ")
    assert head == "notification"
    assert json.loads(text) == notification_fields(notice)


def test_every_desk_logs_client_messages_by_default(caplog: pytest.LogCaptureFixture) -> None:
    manager = plugin_manager(entry_points=False)
    assert isinstance(manager.get_plugin("serviceflow.notifiers.log"), LogNotifier)
    with caplog.at_level(logging.INFO, logger="serviceflow.notify"):
        manager.hook.notify(notification=_notice("A/1"))
    assert [r.notification["key"] for r in caplog.records] == ["A/1"]  # type: ignore[attr-defined]


def test_json_lines_are_appended_synced_and_never_repeated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    path = tmp_path / "out" / "messages.jsonl"
    path.parent.mkdir()
    notifier = JsonLinesNotifier(path)
    assert notifier.__name__ == f"serviceflow.notifiers.jsonl:{path}"
    for key in ("A/1", "A/2", "A/1"):
        notifier.notify(notification=_notice(key))
    assert [line["key"] for line in _lines(path)] == ["A/1", "A/2"]
    assert len(synced) == 2, "each written line is synced before notify returns"
    assert _lines(path)[0] == notification_fields(_notice("A/1"))

    rerun = JsonLinesNotifier(str(path))
    for key in ("A/2", "A/3", "A/1"):
        rerun.notify(notification=_notice(key))
    assert [line["key"] for line in _lines(path)] == ["A/1", "A/2", "A/3"], "read back once"


def test_a_torn_last_line_is_ended_and_its_message_written_again(tmp_path: Path) -> None:
    path = tmp_path / "messages.jsonl"
    whole = json.dumps(notification_fields(_notice("A/1")))
    path.write_text(whole + "\n" + whole[:25], encoding="utf-8")
    notifier = JsonLinesNotifier(path)
    notifier.notify(notification=_notice("A/2"))
    notifier.notify(notification=_notice("A/1"))
    notifier.notify(notification=_notice("A/3"))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1] == whole[:25], "the torn line stays as it was, on its own line"
    assert [json.loads(line)["key"] for line in lines[2:]] == ["A/2", "A/3"]


def test_redelivery_after_a_restart_adds_no_line(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "messages.jsonl"
    mail = Flaky("mail", failures=1)
    policy = DeliveryPolicy(first_retry=timedelta(minutes=1))
    first = Outbox(
        store, plugin_manager([JsonLinesNotifier(path), mail], entry_points=False), policy
    )
    _queue(store, "A/1")
    assert first.deliver(START) == DeliveryReport(retried=("A/1",))
    assert [line["key"] for line in _lines(path)] == ["A/1"]
    (waiting,) = store.outbox("pending")
    # The record lost track of who took it (say, the process died before storing the outcome):
    store.update_outbox([attrs.evolve(waiting, delivered_to=())])

    restarted = Outbox(
        store, plugin_manager([JsonLinesNotifier(path), mail], entry_points=False), policy
    )
    assert restarted.deliver(START + timedelta(minutes=1)) == DeliveryReport(delivered=("A/1",))
    assert [line["key"] for line in _lines(path)] == ["A/1"], "the file already had it"
    assert mail.got == ["A/1"]
