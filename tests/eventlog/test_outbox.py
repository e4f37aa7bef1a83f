"""The outbox on real stores: queued with the events, delivered at least once, retried with
backoff per notifier, dead-lettered, shown to the desk, and put back by an operator."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pluggy
import pytest

from serviceflow import IntegrityError, NotFound, Notification, ValidationError, hookimpl
from serviceflow.domain._serialization import iso
from serviceflow.domain.policy._delivery import DeliveryPolicy
from serviceflow.eventlog._outbox import (
    DeliveryReport,
    Outbox,
    decode_notification,
    encode_notification,
    notifier_names,
    outbox_records,
)
from serviceflow.eventlog._store import OutboxRecord, Store, StreamWrite
from serviceflow.plugins import hookspecs as specs
from serviceflow.plugins._manager import plugin_manager

from ..backends.test_sqlite import _write
from ..conftest import START

LOG = "serviceflow.notifiers.log"


class Flaky:
    """A notifier that fails the first ``failures`` attempts of each message (of those in
    ``failing``, or all), then takes it."""

    def __init__(
        self,
        name: str,
        failures: int = 0,
        error: str = "smtp down",
        failing: tuple[str, ...] | None = None,
    ) -> None:
        self.__name__ = name
        self.failures = failures
        self.error = error
        self.failing = failing
        self.tries: dict[str, int] = {}
        self.got: list[str] = []

    @hookimpl
    def notify(self, notification: Notification) -> None:
        key = notification.key
        self.tries[key] = self.tries.get(key, 0) + 1
        if (self.failing is None or key in self.failing) and self.tries[key] <= self.failures:
            raise ConnectionError(self.error)
        self.got.append(key)


def _notice(key: str, **changes: Any) -> Notification:
    notice = Notification(
        key=key,
        case_id=key.split("/", maxsplit=1)[0],
        to="jane@acme.test",
        kind="case.acknowledged",
        subject=f"[{key}] We are on it",
        text="On it",
        at=START,
    )
    return attrs.evolve(notice, **changes)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A fresh memory or SQLite store, opened through the plugin hook like a desk does."""
    opened = plugin_manager(entry_points=False).hook.open_store(url=store_url)
    yield opened
    opened.close()


def _queue(store: Store, *keys: str, now: datetime = START) -> tuple[OutboxRecord, ...]:
    """Commit one event per case with its notifications, as the desk will."""
    records = outbox_records([_notice(k) for k in keys], now)
    by_case: dict[str, list[OutboxRecord]] = {}
    for record in records:
        by_case.setdefault(record.case_id, []).append(record)
    store.append(
        [
            attrs.evolve(_write(case_id, 0), outbox=tuple(queued))
            for case_id, queued in by_case.items()
        ]
    )
    return records


def _outbox(store: Store, *plugins: object, **policy: Any) -> Outbox:
    manager = plugin_manager(list(plugins), entry_points=False)
    return Outbox(store, manager, DeliveryPolicy(**policy))


def test_a_notification_round_trips_through_canonical_json() -> None:
    notice = _notice(
        "C-1/5", audience="internal", template="ack", locale="fr-CA", to_name="Jeanne Dupré"
    )
    text = encode_notification(notice)
    assert text.startswith('{"at":"2026-03-02T09:00:00.000000+00:00","audience":"internal"')
    assert text.endswith('"v":1}')
    assert decode_notification(text) == notice
    assert decode_notification(encode_notification(_notice("C-1/6"))).audience == "client"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "not valid JSON"),
        ("[1]", "not a JSON object"),
        ('{"v":2}', "schema version 2; this serviceflow reads version 1"),
        ('{"v":1,"key":"K"}', r"cannot read a notification:\n  - \$\.case_id: required"),
    ],
)
def test_a_damaged_payload_is_an_integrity_error(text: str, problem: str) -> None:
    with pytest.raises(IntegrityError, match=problem):
        decode_notification(text)


def test_records_are_pending_and_due_at_once() -> None:
    paris = START.astimezone(datetime.fromisoformat("2026-03-02T10:00:00+01:00").tzinfo)
    (record,) = outbox_records([_notice("C-1/5")], paris)
    assert record == OutboxRecord(
        key="C-1/5",
        case_id="C-1",
        created="2026-03-02T09:00:00.000000+00:00",
        due="2026-03-02T09:00:00.000000+00:00",
        payload=encode_notification(_notice("C-1/5")),
    )
    with pytest.raises(ValidationError, match="now must be timezone-aware"):
        outbox_records([], datetime(2026, 3, 2))  # noqa: DTZ001 - refused on purpose


def test_a_message_goes_to_every_notifier_and_is_delivered(store: Store) -> None:
    mail, chat = Flaky("mail"), Flaky("chat")
    outbox = _outbox(store, mail, chat)
    _queue(store, "A/1", "B/1")
    report = outbox.deliver(START)
    assert report == DeliveryReport(delivered=("A/1", "B/1"))
    assert mail.got == chat.got == ["A/1", "B/1"]
    (done, _) = store.outbox("delivered")
    assert done.attempts == 1
    assert done.delivered_at == "2026-03-02T09:00:00.000000+00:00"
    assert set(done.delivered_to) == {LOG, "mail", "chat"}
    assert outbox.counts() == {"pending": 0, "delivered": 2, "failed": 0}
    assert outbox.deliver(START + timedelta(days=1)) == DeliveryReport(), "nothing is due"
    assert mail.got == ["A/1", "B/1"]


def test_a_failure_backs_off_exponentially_and_never_resends_to_who_took_it(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    mail, chat = Flaky("mail", failures=3), Flaky("chat")
    outbox = _outbox(store, mail, chat)
    _queue(store, "A/1")
    now = START
    expected_due = [30, 60, 120]
    with caplog.at_level(logging.WARNING, logger="serviceflow.outbox"):
        for attempt, wait in enumerate(expected_due, start=1):
            assert outbox.deliver(now) == DeliveryReport(retried=("A/1",))
            (message,) = outbox.pending()
            assert message.attempts == attempt
            assert message.due == now + timedelta(seconds=wait)
            assert message.last_error == "mail: ConnectionError: smtp down"
            assert set(message.delivered_to) == {LOG, "chat"}
            assert outbox.deliver(message.due - timedelta(microseconds=1)) == DeliveryReport()
            now = message.due
    assert chat.got == ["A/1"], "the notifier that took it is not called again"
    assert "notifier mail failed on A/1 (attempt 1): ConnectionError: smtp down" in caplog.text
    assert outbox.deliver(now) == DeliveryReport(delivered=("A/1",))
    assert mail.got == chat.got == ["A/1"]
    (done,) = store.outbox("delivered")
    assert (done.attempts, done.last_error) == (4, "")
    assert done.delivered_at == "2026-03-02T09:03:30.000000+00:00", "30s + 60s + 120s later"


def test_after_max_attempts_a_message_is_a_dead_letter_until_an_operator_retries(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    mail = Flaky("mail", failures=3, failing=("A/1",))
    outbox = _outbox(store, mail, max_attempts=3, first_retry=timedelta(minutes=1))
    _queue(store, "A/1", "B/1")
    now = START
    with caplog.at_level(logging.ERROR, logger="serviceflow.outbox"):
        assert outbox.deliver(now, limit=1) == DeliveryReport(retried=("A/1",))
        assert outbox.deliver(now, limit=1) == DeliveryReport(delivered=("B/1",))
        for _ in range(2):
            now += timedelta(hours=1)
            report = outbox.deliver(now)
    assert report == DeliveryReport(failed=("A/1",))
    assert "\nfailed (see `outbox failed`, retry by key): A/1" in str(report)
    assert "outbox message A/1 failed 3 times; dead-lettered" in caplog.text
    assert outbox.deliver(now + timedelta(days=30)) == DeliveryReport(), "not retried"
    (dead,) = outbox.failed()
    assert (dead.key, dead.case_id, dead.status, dead.attempts) == ("A/1", "A", "failed", 3)
    assert dead.notification == _notice("A/1")
    assert outbox.counts() == {"pending": 0, "delivered": 1, "failed": 1}

    with pytest.raises(NotFound, match="failed outbox message 'B/1' does not exist"):
        outbox.retry("B/1")
    again = outbox.retry("A/1")
    assert (again.status, again.attempts) == ("pending", 0)
    assert outbox.failed() == []
    assert outbox.deliver(now) == DeliveryReport(delivered=("A/1",))
    assert mail.got == ["B/1", "A/1"]
    assert str(outbox.deliver(now)) == "delivered 0, to retry 0, failed 0"


def test_send_delivers_records_in_hand_and_skips_settled_ones(store: Store) -> None:
    mail = Flaky("mail")
    outbox = _outbox(store, mail)
    a, b = _queue(store, "A/1", "B/1")
    settled = attrs.evolve(b, status="delivered")
    assert outbox.send([a, settled], START) == DeliveryReport(delivered=("A/1",))
    assert mail.got == ["A/1"]
    assert [m.key for m in outbox.pending()] == ["B/1"]


def test_without_any_notifier_messages_stay_pending(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    bare = pluggy.PluginManager("serviceflow")
    bare.add_hookspecs(specs)
    outbox = Outbox(store, bare, DeliveryPolicy())
    _queue(store, "A/1")
    with caplog.at_level(logging.WARNING, logger="serviceflow.outbox"):
        report = outbox.deliver(START)
        assert outbox.deliver(START) == report
    assert report == DeliveryReport(held=("A/1",))
    assert str(report) == "delivered 0, to retry 0, failed 0, held 1 (no notifier is installed)"
    assert caplog.text.count("no notify plugin is installed") == 1, "warned once"
    (waiting,) = outbox.pending()
    assert (waiting.attempts, waiting.delivered_to) == (0, ())


def test_an_unreadable_payload_is_dead_lettered_at_once(store: Store) -> None:
    outbox = _outbox(store, Flaky("mail"))
    broken = OutboxRecord("A/1", "A", START.isoformat(), START.isoformat(), "{oops")
    store.append([StreamWrite("A", 0, _write("A", 0).events, _write("A", 0).row, outbox=(broken,))])
    assert outbox.deliver(START) == DeliveryReport(failed=("A/1",))
    (dead,) = outbox.failed()
    assert dead.notification is None
    assert dead.last_error.startswith("payload: IntegrityError: stored notification is not valid")


def test_a_long_error_is_clipped_to_500_characters(store: Store) -> None:
    outbox = _outbox(store, Flaky("mail", failures=1, error="x" * 2000))
    _queue(store, "A/1")
    outbox.deliver(START)
    (message,) = outbox.pending()
    assert len(message.last_error) == 500
    assert message.last_error.startswith("mail: ConnectionError: xxx")
    assert message.last_error.endswith("x…")


def test_outcomes_so_far_are_stored_when_a_notifier_aborts_the_run(store: Store) -> None:
    class Aborts:
        @hookimpl
        def notify(self, notification: Notification) -> None:
            if notification.key == "B/1":
                raise KeyboardInterrupt

    outbox = _outbox(store, Aborts())
    _queue(store, "A/1", "B/1")
    with pytest.raises(KeyboardInterrupt):
        outbox.deliver(START)
    assert [r.key for r in store.outbox("delivered")] == ["A/1"]
    assert [r.key for r in store.outbox("pending")] == ["B/1"]


def test_notifiers_have_names_that_survive_a_restart() -> None:
    class Plain:
        @hookimpl
        def notify(self, notification: Notification) -> None:
            """Takes everything."""

    manager = plugin_manager([Plain(), Plain(), Flaky("mail")], entry_points=False)
    names = [name for name, _ in notifier_names(manager)]
    plain = f"{__name__}.{Plain.__qualname__}"
    assert sorted(names) == sorted([LOG, plain, f"{plain}#2", "mail"])


def test_a_message_view_reads_times_back() -> None:
    from serviceflow.eventlog._outbox import OutboxMessage

    (record,) = outbox_records([_notice("A/1")], START)
    view = OutboxMessage.of(attrs.evolve(record, delivered_at=record.due))
    assert view.created == view.due == view.delivered_at == START
    assert view.due.tzinfo is not None
    assert view.due.utcoffset() == UTC.utcoffset(None)


# --- claims: deliverers in several processes ------------------------------------------


@pytest.fixture
def second(store: Store, store_url: str) -> Iterator[Store]:
    """Another handle on the same data: the same memory store, or a second connection."""
    if store_url.startswith("memory://"):
        yield store
        return
    other = plugin_manager(entry_points=False).hook.open_store(url=store_url)
    yield other
    other.close()


def test_concurrent_deliverers_never_send_the_same_message(store: Store, second: Store) -> None:
    keys = [f"C{n}/1" for n in range(30)]
    _queue(store, *keys)
    takers = [Flaky("mail"), Flaky("mail")]
    outboxes = [_outbox(store, takers[0]), _outbox(second, takers[1])]
    start = threading.Barrier(2)

    def deliver(outbox: Outbox) -> None:
        start.wait()
        for _ in range(10):
            outbox.deliver(START, limit=4)

    threads = [threading.Thread(target=deliver, args=(o,)) for o in outboxes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    got = takers[0].got + takers[1].got
    assert sorted(got) == sorted(keys), "each message once: a claim is never shared"
    assert store.outbox_counts() == {"pending": 0, "delivered": 30, "failed": 0}


def test_a_claimed_message_comes_back_when_its_lease_ends(store: Store) -> None:
    mail = Flaky("mail")
    outbox = _outbox(store, mail)
    _queue(store, "A/1", "B/1")
    lease = timedelta(minutes=5)
    end = START + lease
    (claimed,) = store.claim_outbox(iso(START), 1, iso(end))  # then its deliverer died
    assert (claimed.key, claimed.due) == ("A/1", iso(end))
    assert outbox.deliver(START, lease=lease) == DeliveryReport(delivered=("B/1",))
    assert outbox.deliver(end - timedelta(microseconds=1)) == DeliveryReport()
    assert outbox.deliver(end) == DeliveryReport(delivered=("A/1",))
    (done, _) = store.outbox("delivered")
    assert (done.key, done.due) == ("A/1", iso(end)), "the attempt ended the lease"


def test_a_retry_is_due_after_its_backoff_not_after_the_lease(store: Store) -> None:
    outbox = _outbox(store, Flaky("mail", failures=1))
    _queue(store, "A/1")
    assert outbox.deliver(START, lease=timedelta(hours=1)) == DeliveryReport(retried=("A/1",))
    (waiting,) = outbox.pending()
    assert waiting.due == START + timedelta(seconds=30)


@pytest.mark.parametrize("lease", [timedelta(0), timedelta(seconds=-5)])
def test_a_lease_must_be_positive_and_a_bad_one_claims_nothing(
    store: Store, lease: timedelta
) -> None:
    outbox = _outbox(store, Flaky("mail"))
    (queued,) = _queue(store, "A/1")
    with pytest.raises(ValidationError, match="lease must be a positive duration"):
        outbox.deliver(START, lease=lease)
    assert store.outbox() == [queued], "untouched"


def test_without_any_notifier_nothing_is_claimed(store: Store) -> None:
    bare = pluggy.PluginManager("serviceflow")
    bare.add_hookspecs(specs)
    (queued,) = _queue(store, "A/1")
    assert Outbox(store, bare).deliver(START) == DeliveryReport(held=("A/1",))
    assert store.outbox() == [queued], "still due at once for a deliverer that has notifiers"
