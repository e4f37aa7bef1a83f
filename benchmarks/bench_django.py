"""Benchmark a full case lifecycle on SQLite: serviceflow against django-helpdesk's ORM.

Figure: lifecycles per second, eight commands to a case, one transaction per command, on a
SQLite file in WAL mode with ``synchronous=FULL`` on both sides. serviceflow runs submit,
classify, prioritize, assign, acknowledge, resolve, validate and confirm (which closes)
through ``ServiceDesk``. The baseline is the same lifecycle written with django-helpdesk's
models, each step in its own ``transaction.atomic()``: the rows helpdesk's ticket form and
``update_ticket`` record for that step (ticket, follow-up, ticket changes, custom field
values), without their template rendering, e-mail or repeated saves, so the baseline is a
lean one. Best of 3 interleaved rounds of about 2 s each side. Target ≥ 7x.

The Django side is not a project dependency; install it with ``pip install django-helpdesk``.
Without it the benchmark says so and exits. The full run takes about 15 s; ``--quick`` runs
shorter rounds (about 8 s).
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_engine import _desk, _step
from report import Row, machine, print_table, section

from serviceflow import ServiceDesk

COMMANDS = (
    "submit",
    "classify",
    "prioritize",
    "assign",
    "acknowledge",
    "resolve",
    "validate",
    "confirm",
)
SF_STEPS = (0, 1, 2, 3, 4, 7, 8, 9)
"""``bench_engine._step`` indices of the eight commands (no request_info / client_reply)."""
RATIO_TARGET = 7.0
PROBE = 10

Lifecycles = Callable[[int], list[float]]
"""Run that many full lifecycles; return the seconds spent in each of the eight commands."""


@dataclass(frozen=True)
class Sizes:
    """Rounds per side and how long one round should last."""

    rounds: int
    round_s: float


FULL = Sizes(3, 2.0)
QUICK = Sizes(3, 1.0)


# --- serviceflow ---------------------------------------------------------------------------


def _serviceflow(desk: ServiceDesk) -> Lifecycles:
    """Lifecycles through the desk's public API, one transaction per command."""
    ids = itertools.count()

    def run(cases: int) -> list[float]:
        spent = [0.0] * len(SF_STEPS)
        for _ in range(cases):
            case_id = f"DJ{next(ids):014d}"
            for slot, index in enumerate(SF_STEPS):
                began = time.perf_counter()
                _step(desk, case_id, index)
                spent[slot] += time.perf_counter() - began
        return spent

    return run


# --- django-helpdesk -----------------------------------------------------------------------


def _django_available() -> bool:
    """Whether Django and helpdesk can be imported, checked without importing them."""
    return all(importlib.util.find_spec(name) is not None for name in ("django", "helpdesk"))


def _configure_django(path: Path) -> None:
    """Django in-process on a SQLite file with serviceflow's durability; helpdesk migrated."""
    import django  # noqa: PLC0415 - optional, not a project dependency
    from django.conf import settings  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-django",
        USE_TZ=True,
        SITE_ID=1,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.sites",
            "django.contrib.messages",
            "django.contrib.humanize",
            "rest_framework",
            "helpdesk",
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": {
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                    "transaction_mode": "IMMEDIATE",
                },
            }
        },
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        HELPDESK_TEAMS_MODE_ENABLED=False,
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}],
    )
    django.setup()
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        pragmas = [
            cursor.execute(f"PRAGMA {p}").fetchone()[0] for p in ("journal_mode", "synchronous")
        ]
    if pragmas != ["wal", 2]:
        raise RuntimeError(f"Django's SQLite runs journal_mode, synchronous = {pragmas}")


def _helpdesk() -> Lifecycles:
    """Lifecycles written with helpdesk's models, one ``transaction.atomic()`` per step."""
    from django.contrib.auth import get_user_model  # noqa: PLC0415 - after django.setup()
    from django.db import transaction  # noqa: PLC0415
    from helpdesk.models import (  # noqa: PLC0415
        CustomField,
        FollowUp,
        Queue,
        Ticket,
        TicketChange,
        TicketCustomFieldValue,
    )

    users = get_user_model()
    ann, bob, qa = (users.objects.create_user(name, is_staff=True) for name in ("ann", "bob", "qa"))
    queue = Queue.objects.create(title="Support", slug="support")
    # helpdesk has no category or kind: classify sets two custom fields, as its update view does
    category, kind = (
        CustomField.objects.create(name=name, label=name.title(), data_type="varchar")
        for name in ("category", "kind")
    )

    def follow_up(
        ticket: Any,
        user: Any,
        title: str,
        comment: str = "",
        *,
        public: bool = False,
        new_status: int | None = None,
        changes: tuple[tuple[str, object, object], ...] = (),
    ) -> None:
        """The follow-up ``update_ticket`` writes (its save saves the ticket too) and changes."""
        followup = FollowUp(
            ticket=ticket,
            user=user,
            title=title,
            comment=comment,
            public=public,
            new_status=new_status,
        )
        followup.save()
        for field, old, new in changes:
            TicketChange.objects.create(
                followup=followup, field=field, old_value=old, new_value=new
            )

    def submit() -> int:
        ticket = Ticket.objects.create(
            title="Printer on floor 3 keeps jamming",
            submitter_email="jane.doe@acme.test",
            status=Ticket.OPEN_STATUS,
            queue=queue,
            description="Since this morning the printer shows error E-42 after every page.",
            priority=3,
        )
        follow_up(ticket, None, "Ticket Opened", ticket.description, public=True)
        return int(ticket.id)

    def classify(ticket: Any) -> None:
        for field, value in ((category, "functional"), (kind, "incident")):
            TicketCustomFieldValue.objects.create(ticket=ticket, field=field, value=value)
        follow_up(
            ticket,
            ann,
            ticket.title,
            changes=(("category", None, "functional"), ("kind", None, "incident")),
        )

    def prioritize(ticket: Any) -> None:
        ticket.priority = 2
        follow_up(ticket, ann, ticket.title, changes=(("Priority", 3, 2),))

    def assign(ticket: Any) -> None:
        ticket.assigned_to = bob
        follow_up(ticket, ann, "Assigned to bob", changes=(("Owner", None, bob),))

    def acknowledge(ticket: Any) -> None:
        follow_up(ticket, bob, ticket.title, "Hello Jane, we are looking into it now.", public=True)

    def resolve(ticket: Any) -> None:
        ticket.status = Ticket.RESOLVED_STATUS
        ticket.resolution = "Cleared the paper path, reset the tray sensor."
        follow_up(
            ticket,
            bob,
            "Resolved",
            ticket.resolution,
            public=True,
            new_status=Ticket.RESOLVED_STATUS,
            changes=(("Status", "Open", "Resolved"),),
        )

    def validate(ticket: Any) -> None:
        follow_up(ticket, qa, ticket.title, "Checked on site")

    def close(ticket: Any) -> None:
        ticket.status = Ticket.CLOSED_STATUS
        follow_up(
            ticket,
            None,
            "Closed",
            "Submitter accepted resolution and closed ticket",
            public=True,
            new_status=Ticket.CLOSED_STATUS,
            changes=(("Status", "Resolved", "Closed"),),
        )

    updates = (classify, prioritize, assign, acknowledge, resolve, validate, close)

    def run(cases: int) -> list[float]:
        spent = [0.0] * len(COMMANDS)
        for _ in range(cases):
            began = time.perf_counter()
            with transaction.atomic():
                ticket_id = submit()
            spent[0] += time.perf_counter() - began
            for slot, update in enumerate(updates, start=1):
                began = time.perf_counter()
                with transaction.atomic():
                    update(Ticket.objects.get(id=ticket_id))
                spent[slot] += time.perf_counter() - began
        return spent

    return run


# --- the run -------------------------------------------------------------------------------


def _calibrated(run: Lifecycles, round_s: float) -> int:
    """Cases per round so a round of ``run`` lasts about ``round_s`` on this disk today."""
    rate = PROBE / sum(run(PROBE))
    return max(PROBE, int(rate * round_s))


def _best_round(run: Lifecycles, cases: int, best: list[float] | None) -> list[float]:
    """Per-lifecycle seconds of each command for the faster of this round and ``best``."""
    spent = [s / cases for s in run(cases)]
    return spent if best is None or sum(spent) < sum(best) else best


def main(argv: list[str] | None = None) -> None:
    """Measure both sides in interleaved rounds and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="shorter rounds (about 8 s)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    print(machine("django"))
    if not _django_available():
        print("django-helpdesk is not installed; run `pip install django-helpdesk` to compare.")
        return
    with tempfile.TemporaryDirectory(prefix="sf-django-") as tmp:
        folder = Path(tmp)
        with section("setup: Django migrate (helpdesk), serviceflow desk, calibration"):
            _configure_django(folder / "helpdesk.db")
            django_run = _helpdesk()
            desk = _desk(f"sqlite:///{folder / 'x.db'}")
            sf_run = _serviceflow(desk)
            sf_cases = _calibrated(sf_run, sizes.round_s)
            django_cases = _calibrated(django_run, sizes.round_s)
            print(f"  {sf_cases:,} serviceflow and {django_cases:,} Django lifecycles per round")
        sf: list[float] | None = None
        dj: list[float] | None = None
        with section(f"{sizes.rounds} interleaved rounds, best of each side"):
            for _ in range(sizes.rounds):
                sf = _best_round(sf_run, sf_cases, sf)
                dj = _best_round(django_run, django_cases, dj)
        desk.close()
    assert sf is not None
    assert dj is not None
    sf_rate, dj_rate = 1 / sum(sf), 1 / sum(dj)
    ratio = sf_rate / dj_rate
    rows = [
        Row(
            "lifecycles/s, 8 commands, sqlite WAL sync=full",
            f"{sf_rate:,.0f} /s",
            f"django-helpdesk ORM {dj_rate:,.0f} /s",
            f"{ratio:.2f}x",
            f"≥ {RATIO_TARGET:.0f}x",
            "yes" if ratio >= RATIO_TARGET else "NO",
        )
    ]
    for command, mine, theirs in zip(COMMANDS, sf, dj, strict=True):
        rows.append(
            Row(
                f"  {command} µs/command",
                f"{mine * 1e6:,.0f} µs",
                f"django-helpdesk {theirs * 1e6:,.0f} µs",
                f"{theirs / mine:.2f}x",
                "",
                "",
            )
        )
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
